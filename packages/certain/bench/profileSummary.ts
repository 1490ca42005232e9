// Summarize a V8 .cpuprofile: self time by package / source file and the top functions.
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: a package name, a file of ours, or a V8 pseudo-frame. */
function bucket(url: string, fn: string): string {
  if (url === '') return fn === '' ? '(anonymous native)' : `(${fn.replace(/[()]/g, '')})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /packages\/([^/]+)\/(?:dist|src)\/(.*)$/.exec(url);
  if (m) return `${m[1]}:${m[2]}`;
  return url.split('/').slice(-2).join('/');
}

export function summarizeProfile(p: CpuProfile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = p.endTime - p.startTime;
  const byBucket = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { url, functionName, lineNumber } = n.callFrame;
    const b = bucket(url, functionName);
    byBucket.set(b, (byBucket.get(b) ?? 0) + us);
    const f = `${functionName || '(anon)'} ${b}:${lineNumber + 1}`;
    byFn.set(f, (byFn.get(f) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const idle = byBucket.get('(idle)') ?? 0;
  const lines = [`wall ${(total / 1e3).toFixed(0)} ms, busy ${((total - idle) / 1e3).toFixed(0)} ms`, '-- self time by package / file'];
  for (const [b, us] of [...byBucket].sort((a, c) => c[1] - a[1]).slice(0, top)) lines.push(`${pct(us)} ${b}`);
  lines.push('-- top functions (self)');
  for (const [f, us] of [...byFn].sort((a, c) => c[1] - a[1]).slice(0, top)) lines.push(`${pct(us)} ${f}`);
  return lines.join('\n');
}
