// The card server's config parser and business rules.
import { describe, expect, it } from 'vitest';
import { parseConfig, validateConfig, cardAddress, evaluateCardOps, cardEntity, type Card } from '../src/index.js';
import { BadConfigError } from '../src/errors.js';

describe('config', () => {
  it('takes the original example.conf keys: numeric LogLevel, LocalServerID, EnableLearnOnly (issue 16 item 7)', () => {
    const { config, warnings } = parseConfig('ServerAddrs = 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3\nLogLevel=4\nLocalServerID=2\nEnableLearnOnly=1\n');
    expect(config.logLevel).toBe('debug');
    expect(config.acceptorId).toBe(2);
    expect(config.enableLearnOnly).toBe(true);
    expect(config.enableRecoverData).toBe(false);
    expect(warnings).toEqual([]);
    expect(() => parseConfig('LogLevel = 9')).toThrow(BadConfigError);
  });

  it('parses key=value with whitespace, comments and unknown keys', () => {
    const { config, warnings } = parseConfig(`
      # three servers
      ServerAddrs = 127.0.0.1:1 , 127.0.0.1:2,127.0.0.1:3   # trailing comment
      AcceptorNum=3
      enablepreauth = false
      LocalAcceptFirst = 1
      PLogExpireTimeMS = 5000
      MaxCatchUpNum = 4
      MaxCommitNum = 7
      CmdTimeoutMS = 900
      LogLevel = DEBUG
      Colour = blue
    `);
    expect(config.serverAddrs).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    expect(config.enablePreAuth).toBe(false);
    expect(config.localAcceptFirst).toBe(true);
    expect(config.plogExpireTimeMs).toBe(5000);
    expect(config.maxCatchUpNum).toBe(4);
    expect(config.maxCommitNum).toBe(7);
    expect(config.cmdTimeoutMs).toBe(900);
    expect(config.logLevel).toBe('debug');
    expect(warnings).toEqual(['unknown config key "Colour" (line 12) ignored']);
    expect(cardAddress(config, 2)).toBe('127.0.0.1:50052');
  });

  it('a bad value names its key', () => {
    expect(() => parseConfig('AcceptorNum = 9')).toThrow(/AcceptorNum/);
    expect(() => parseConfig('EnablePreAuth = maybe')).toThrow(/EnablePreAuth/);
    expect(() => parseConfig('ServerAddrs = nowhere')).toThrow(/ServerAddrs/);
    expect(() => parseConfig('CmdTimeoutMS = -1')).toThrow(BadConfigError);
    expect(() => parseConfig('just words')).toThrow(/line 1/);
  });

  it('validates the result after flags override the file', () => {
    const { config } = parseConfig('ServerAddrs = a:1,b:2\nAcceptorNum = 3');
    expect(() => validateConfig({ ...config, acceptorId: 0, path: '/x' })).toThrow(/ServerAddrs/);
    const ok = parseConfig('ServerAddrs = a:1,b:2,c:3').config;
    expect(() => validateConfig({ ...ok, path: '/x' })).toThrow(/-i/);
    expect(() => validateConfig({ ...ok, acceptorId: 1 })).toThrow(/-p/);
    expect(() => validateConfig({ ...ok, acceptorId: 1, path: '/x' })).not.toThrow();
  });
});

describe('card business rules', () => {
  const rock = { userName: new TextEncoder().encode('rock'), userId: 20170001n, balance: 200n };
  it('insert / update / delete / select with codes 8000, 8001, 8002, batched in order', () => {
    const store = new Map<bigint, Card>();
    const { results, mutations } = evaluateCardOps(
      [
        { op: 'select', cardId: 12358n },
        { op: 'insert', cardId: 12358n, card: rock },
        { op: 'insert', cardId: 12358n, card: rock },
        { op: 'update', cardId: 12358n, delta: 10n },
        { op: 'update', cardId: 12358n, delta: -1000n },
        { op: 'delete', cardId: 12358n },
        { op: 'update', cardId: 12358n, delta: 1n },
        { op: 'delete', cardId: 12358n },
      ],
      (id) => store.get(id),
      100,
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([8001, 'ok', 8002, 'ok', 8000, 'ok', 8001, 8001]);
    expect(results[3]!.ok && results[3]!.card?.balance).toBe(210n);
    expect(mutations.get(12358n)).toBeNull();
    expect(cardEntity(12358n)).toBe(158n);
  });
});
