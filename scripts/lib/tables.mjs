// Every bench writes its own JSON shape. tablesOf turns any of them into tables without
// dropping a value: arrays of flat rows and objects of flat rows become tables, an object's
// scalar fields become a field/value table, arrays of scalars become one cell, and nested
// objects are walked. The top level's scalars are the result's "meta" (metaOf).
// leafPaths/coveredLeaves let a test prove that nothing in the JSON was left out.

const isScalar = (v) => v === null || typeof v !== 'object';
const isScalarArray = (v) => Array.isArray(v) && v.every(isScalar);
const isLeaf = (v) => isScalar(v) || isScalarArray(v);
const isFlatRow = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isLeaf);

export function fmt(v) {
  if (Array.isArray(v)) return v.map(fmt).join(', ');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : 1);
  if (v === null) return 'null';
  return v === undefined ? '' : String(v);
}

/** [{ title, headers, rows (strings), raw (row objects), kind: 'rows' | 'fields', path }] */
export function tablesOf(data, title = 'results') {
  const out = [];
  const rowsTable = (name, path, rows) => {
    const headers = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => isLeaf(r[k]))))];
    if (headers.length) out.push({ title: name, headers, rows: rows.map((r) => headers.map((h) => fmt(r[h]))), raw: rows, kind: 'rows', path });
  };
  const visit = (node, name, path, top) => {
    const child = (k) => (top ? String(k) : `${name} / ${k}`);
    if (Array.isArray(node)) {
      if (isScalarArray(node)) {
        if (!top) out.push({ title: name, headers: ['value'], rows: [[fmt(node)]], raw: [{ value: node }], kind: 'fields', path });
      } else if (node.every(isFlatRow)) rowsTable(name, path, node);
      else node.forEach((v, i) => visit(v, `${name} [${i}]`, [...path, i], false));
      return;
    }
    if (isScalar(node)) {
      if (!top) out.push({ title: name, headers: ['value'], rows: [[fmt(node)]], raw: [{ value: node }], kind: 'fields', path });
      return;
    }
    const entries = Object.entries(node);
    // { case_a: {flat}, case_b: {flat} } is one table, one row per key
    if (entries.length > 1 && entries.every(([, v]) => isFlatRow(v))) {
      rowsTable(name, path, entries.map(([k, v]) => ({ case: k, ...v })));
      return;
    }
    const scalars = entries.filter(([, v]) => isLeaf(v));
    if (!top && scalars.length) {
      out.push({ title: name, headers: ['field', 'value'], rows: scalars.map(([k, v]) => [k, fmt(v)]), raw: scalars.map(([k, v]) => ({ field: k, value: v })), kind: 'fields', path });
    }
    for (const [k, v] of entries) if (!isLeaf(v)) visit(v, top && title !== 'results' ? `${title} / ${k}` : child(k), [...path, k], false);
  };
  visit(data, title, [], true);
  return out;
}

/** The top level's scalar (and scalar-array) fields: [key, value][]. */
export function metaOf(data) {
  return data && typeof data === 'object' && !Array.isArray(data) ? Object.entries(data).filter(([, v]) => isLeaf(v)) : [];
}

/** Every leaf of the JSON as [path, value] (scalar arrays are one leaf). */
export function leafPaths(data, path = []) {
  if (isLeaf(data)) return [[path.join('.'), data]];
  return Object.entries(data).flatMap(([k, v]) => leafPaths(v, [...path, k]));
}

/** The leaves tablesOf + metaOf show, as paths; equal to leafPaths' paths when nothing is dropped. */
export function coveredLeaves(data) {
  const got = new Set(metaOf(data).map(([k]) => k));
  for (const t of tablesOf(data)) {
    if (t.kind === 'fields') {
      if (t.headers[0] === 'value') got.add(t.path.join('.'));
      else for (const r of t.raw) got.add([...t.path, r.field].join('.'));
      continue;
    }
    const keyed = t.headers[0] === 'case' && !Array.isArray(pathValue(data, t.path));
    t.raw.forEach((r, i) => {
      for (const h of t.headers) {
        if (!(h in r)) continue;
        if (keyed && h === 'case') continue;
        got.add([...t.path, keyed ? r.case : i, h].join('.'));
      }
    });
  }
  return got;
}

function pathValue(data, path) {
  return path.reduce((node, k) => (node == null ? node : node[k]), data);
}
