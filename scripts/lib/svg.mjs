// Inline SVG pieces for the bench report (no scripts, no external files: the page opens
// from disk and prints).
import { fmt } from './tables.mjs';
import { num } from './headlines.mjs';

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Horizontal bars, one per name; a value that is not a number is written "not measured". */
export function barChart(label, names, values) {
  const nums = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  const max = Math.max(...nums, 1e-9);
  const rowH = 22; const labelW = 260; const barW = 420;
  const bars = values.map((v, i) => {
    const y = i * rowH;
    const name = `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(names[i])}</text>`;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${name}<text x="${labelW + 4}" y="${y + 15}" fill="#666">not measured</text>`;
    const w = Math.max(1, (Math.max(0, v) / max) * barW);
    return name
      + `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#3b7dd8"></rect>`
      + `<text x="${labelW + w + 4}" y="${y + 15}">${esc(fmt(v))}</text>`;
  }).join('');
  return `<figure><figcaption>${esc(label)}</figcaption><svg width="${labelW + barW + 120}" height="${values.length * rowH + 4}" font-size="12" font-family="sans-serif">${bars}</svg></figure>`;
}

/**
 * quorumkit's bar next to its anchor's, with the goal as a dashed vertical line; colours
 * follow the verdict. bars: [{ name, value, kind: 'ours' | 'anchor' }], goal: number | null.
 */
export function goalChart(bars, goal, goalLabel, pass) {
  const shown = bars.filter((b) => typeof b.value === 'number' && Number.isFinite(b.value));
  if (!shown.length) return '<p class="nochart">no figure to chart</p>';
  const max = Math.max(...shown.map((b) => b.value), typeof goal === 'number' ? goal : 0, 1e-9) * 1.1;
  const rowH = 22; const labelW = 200; const barW = 380; const top = 16;
  const ours = pass === true ? '#2e8b3e' : pass === false ? '#c0392b' : '#3b7dd8';
  const x = (v) => labelW + (v / max) * barW;
  const rects = shown.map((b, i) => {
    const y = top + i * rowH;
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(b.name)}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(b.value) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${b.kind === 'ours' ? ours : '#999'}"></rect>`
      + `<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 15}">${esc(num(b.value))}</text>`;
  }).join('');
  const h = top + shown.length * rowH + 4;
  const line = typeof goal === 'number' && Number.isFinite(goal)
    ? `<line x1="${x(goal).toFixed(1)}" y1="2" x2="${x(goal).toFixed(1)}" y2="${h}" stroke="#000" stroke-dasharray="4 3"></line><text x="${(x(goal) + 3).toFixed(1)}" y="11" font-size="11">${esc(goalLabel)}</text>`
    : '';
  return `<svg width="${labelW + barW + 140}" height="${h}" font-size="12" font-family="sans-serif">${rects}${line}</svg>`;
}

/** A small line of one figure over the runs of the history (null = not measured that run). */
export function sparkline(values) {
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => typeof v === 'number' && Number.isFinite(v));
  if (pts.length < 2) return '';
  const w = 120; const h = 24;
  const lo = Math.min(...pts.map(([, v]) => v)); const hi = Math.max(...pts.map(([, v]) => v));
  const sx = (i) => (values.length === 1 ? 0 : (i / (values.length - 1)) * (w - 4) + 2);
  const sy = (v) => (hi === lo ? h / 2 : h - 2 - ((v - lo) / (hi - lo)) * (h - 4));
  const d = pts.map(([i, v], k) => `${k ? 'L' : 'M'}${sx(i).toFixed(1)} ${sy(v).toFixed(1)}`).join(' ');
  return `<svg width="${w}" height="${h}"><path d="${d}" fill="none" stroke="#3b7dd8" stroke-width="1.5"></path></svg>`;
}
