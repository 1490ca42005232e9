// Command lookup from the name's bytes: any ASCII case finds the command, nothing else does.
import { describe, expect, it } from 'vitest';
import { CommandIndex } from '../src/core/cmdLookup.js';
import { commandTable } from '../src/core/commands.js';

describe('CommandIndex', () => {
  const index = new CommandIndex();
  for (const spec of commandTable.values()) index.add(spec);

  it('finds every command in lower, upper and mixed case', () => {
    for (const [name, spec] of commandTable) {
      expect(index.find(Buffer.from(name))).toBe(spec);
      expect(index.find(Buffer.from(name.toUpperCase()))).toBe(spec);
      const mixed = [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
      expect(index.find(Buffer.from(mixed))).toBe(spec);
    }
  });

  it('finds nothing for near misses: other bytes, non-letters folded by 0x20, prefixes, long names', () => {
    expect(index.find(Buffer.from('gets'))).toBeUndefined();
    expect(index.find(Buffer.from('ge'))).toBeUndefined();
    expect(index.find(Buffer.from(''))).toBeUndefined();
    // '@' | 0x20 is '`': only A-Z fold, so 'G@T' is not a spelling of anything
    expect(index.find(Buffer.from('g\x60t'))).toBeUndefined();
    expect(index.find(Buffer.from('GE\xd4', 'latin1'))).toBeUndefined(); // not ASCII: no folding
    expect(index.find(Buffer.from('get'.padEnd(40, 'x')))).toBeUndefined();
  });
});
