// Any command with any arguments gets a reply and never throws (a server never crashes on input).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { commandTable } from '../src/core/commands.js';
import { TestNode } from './helpers.js';

const names = [...commandTable.keys()].filter((n) => !['meet', 'forget', 'wait', 'shutdown'].includes(n));
const arg = fc.oneof(
  fc.constantFrom('k', 's', 'h', '0', '-1', '1', '9223372036854775807', '-9223372036854775808', '99999999999999999999', 'EX', 'PX', 'NX', 'XX', 'GET', 'KEEPTTL', 'COUNT', 'MATCH', 'TYPE', '*', '[', '\\', ''),
  fc.string({ maxLength: 8 }),
);

describe('command fuzz', () => {
  it('every command answers exactly one well-formed reply for random arguments', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...names), fc.array(arg, { maxLength: 6 })), { minLength: 1, maxLength: 30 }), (cmds) => {
        const n = new TestNode(1);
        for (const [name, args] of cmds) {
          const reply = n.run(name, ...args);
          expect(reply.length, `${name} ${args.join(' ')}`).toBeGreaterThan(0);
          expect(['+', '-', ':', '$', '*', '%', '~', '_', '=']).toContain(reply[0]);
          expect(reply.endsWith('\r\n')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
