// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: every
// sample must belong to a family declared by # HELP and # TYPE before it, names and labels
// must be well formed, counters end in _total, histograms have ascending `le` buckets ending
// in +Inf whose counts never decrease and whose +Inf count equals _count.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"$/;

// Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
function parseValue(v: string): number {
  if (/^\+?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) throw new Error(`bad sample value "${v}"`);
  return Number(v);
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === '') return out;
  // Split on commas outside quoted values.
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted) {
      cur += c + (text[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') parts.push(cur);
  for (const p of parts) {
    const m = LABEL.exec(p);
    if (!m) throw new Error(`bad label "${p}"`);
    if (m[1]! in out) throw new Error(`label ${m[1]} twice`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (m) {
      if (helps.has(m[1]!)) throw new Error(`HELP ${m[1]} twice`);
      helps.set(m[1]!, m[2]!);
      continue;
    }
    m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (m) {
      if (families.has(m[1]!)) throw new Error(`TYPE ${m[1]} twice`);
      if (!helps.has(m[1]!)) throw new Error(`TYPE ${m[1]} without HELP before it`);
      families.set(m[1]!, { name: m[1]!, type: m[2] as Family['type'], help: helps.get(m[1]!)!, samples: [] });
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unknown comment line: ${line}`);
    m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const name = m[1]!;
    const fam = [name, name.replace(/_(bucket|sum|count)$/, ''), name.replace(/_total$/, '')].map((n) => families.get(n)).find((f) => f !== undefined);
    if (!fam) throw new Error(`sample ${name} before its TYPE`);
    fam.samples.push({ name, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) });
  }
  for (const f of families.values()) {
    if (f.type === 'counter' && !f.samples.every((s) => s.name.endsWith('_total'))) throw new Error(`counter ${f.name}: samples must end in _total`);
    if (f.type !== 'counter' && f.name.endsWith('_total')) throw new Error(`${f.type} ${f.name} must not end in _total`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  // A labelled family with no series yet has no samples at all (valid); samples without buckets are not.
  if (series.size === 0 && f.samples.length > 0) throw new Error(`histogram ${f.name} has samples but no buckets`);
  for (const [key, buckets] of series) {
    const les = buckets.map((b) => parseValue(b.labels.le!));
    for (let i = 1; i < les.length; i++) {
      if (!(les[i]! > les[i - 1]!)) throw new Error(`${f.name}${key}: le not ascending`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name}${key}: bucket counts decrease`);
    }
    if (les[les.length - 1] !== Infinity) throw new Error(`${f.name}${key}: last bucket is not +Inf`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
    if (!count || count.value !== buckets[buckets.length - 1]!.value) throw new Error(`${f.name}${key}: _count differs from the +Inf bucket`);
    if (!f.samples.some((s) => s.name === `${f.name}_sum` && JSON.stringify(s.labels) === key)) throw new Error(`${f.name}${key}: no _sum`);
  }
}

/** The value of one sample (labels must match exactly). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels));
    if (s) return s.value;
  }
  return undefined;
}
