// Redis-style glob matching (KEYS, SCAN MATCH, CONFIG GET): * ? [abc] [^a-z] and \ escapes.
export function globMatch(pat: string, str: string, nocase = false): boolean {
  if (nocase) {
    pat = pat.toLowerCase();
    str = str.toLowerCase();
  }
  return match(pat, 0, str, 0);
}

function match(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (match(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      let j = pi + 1;
      const not = p[j] === '^';
      if (not) j++;
      let hit = false;
      while (j < p.length && p[j] !== ']') {
        if (p[j] === '\\' && j + 1 < p.length) {
          if (p[j + 1] === s[si]) hit = true;
          j += 2;
        } else if (p[j + 1] === '-' && j + 2 < p.length && p[j + 2] !== ']') {
          let lo = p[j]!;
          let hi = p[j + 2]!;
          if (lo > hi) [lo, hi] = [hi, lo];
          if (s[si]! >= lo && s[si]! <= hi) hit = true;
          j += 3;
        } else {
          if (p[j] === s[si]) hit = true;
          j++;
        }
      }
      if (not) hit = !hit;
      if (!hit) return false;
      pi = j + 1;
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) {
      if (p[pi + 1] !== s[si]) return false;
      pi += 2;
      si++;
      continue;
    }
    if (c !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}
