// Pub/sub (issue 22): the registry of channel and pattern subscribers and the commands
// SUBSCRIBE PSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB with Redis's reply shapes
// (arrays in RESP2, push frames in RESP3). Delivery is at most once, like Redis: a message
// goes to the subscribers connected now, on this node and (through the server shell's
// `publishRemote`) on every node of the mesh that is linked at that moment; nothing is
// stored or replayed. Pure: the shell supplies how a subscriber's replies are flushed.
import type { ReplyBuffer } from './encode.js';
import { type CmdCtx, keyOf, lower } from './context.js';
import { globMatch } from './glob.js';

export interface Subscriber {
  out: ReplyBuffer;
  /** channels and patterns this client is subscribed to */
  channels: Set<string>;
  patterns: Set<string>;
  /** have the shell write out what was appended to `out` (soon, once per turn) */
  wake(): void;
}

export class PubSub {
  readonly channels = new Map<string, Set<Subscriber>>();
  readonly patterns = new Map<string, Set<Subscriber>>();
  stats = { published: 0, delivered: 0 };

  /** Delivers to this node's subscribers; returns how many received it. */
  publish(channel: string, msg: Buffer, self?: Subscriber): number {
    this.stats.published++;
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const s of subs) {
        s.out.push(3);
        s.out.bulk('message');
        s.out.bulkLatin1(channel);
        s.out.bulk(msg);
        if (s !== self) s.wake();
        n++;
      }
    }
    for (const [pat, ps] of this.patterns) {
      if (!globMatch(pat, channel)) continue;
      for (const s of ps) {
        s.out.push(4);
        s.out.bulk('pmessage');
        s.out.bulkLatin1(pat);
        s.out.bulkLatin1(channel);
        s.out.bulk(msg);
        if (s !== self) s.wake();
        n++;
      }
    }
    this.stats.delivered += n;
    return n;
  }

  add(s: Subscriber, name: string, pattern: boolean): void {
    const m = pattern ? this.patterns : this.channels;
    let set = m.get(name);
    if (!set) m.set(name, (set = new Set()));
    set.add(s);
    (pattern ? s.patterns : s.channels).add(name);
  }

  remove(s: Subscriber, name: string, pattern: boolean): void {
    const m = pattern ? this.patterns : this.channels;
    const set = m.get(name);
    if (set) {
      set.delete(s);
      if (set.size === 0) m.delete(name);
    }
    (pattern ? s.patterns : s.channels).delete(name);
  }

  /** A closed connection leaves every channel and pattern. */
  dropAll(s: Subscriber): void {
    for (const c of [...s.channels]) this.remove(s, c, false);
    for (const p of [...s.patterns]) this.remove(s, p, true);
  }
}

export const subCount = (s: Subscriber | undefined): number => (s ? s.channels.size + s.patterns.size : 0);

/** Commands a RESP2 client may send while subscribed. */
export const SUBSCRIBED_ALLOWED = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

function ready(ctx: CmdCtx): [PubSub, Subscriber] | undefined {
  const ps = ctx.server.pubsub;
  const sub = ctx.sess.subscriber;
  if (!ps || !sub) {
    ctx.out.error('ERR pub/sub is not available on this connection');
    return undefined;
  }
  return [ps, sub];
}

function ack(ctx: CmdCtx, kind: string, name: string | undefined, count: number): void {
  ctx.out.push(3);
  ctx.out.bulk(kind);
  if (name === undefined) ctx.out.nil();
  else ctx.out.bulkLatin1(name);
  ctx.out.int(count);
}

export function cmdSubscribe(ctx: CmdCtx, args: Buffer[], pattern: boolean): void {
  const r = ready(ctx);
  if (!r) return;
  const [ps, sub] = r;
  for (let i = 1; i < args.length; i++) {
    const name = keyOf(args[i]!);
    ps.add(sub, name, pattern);
    ack(ctx, pattern ? 'psubscribe' : 'subscribe', name, subCount(sub));
  }
}

export function cmdUnsubscribe(ctx: CmdCtx, args: Buffer[], pattern: boolean): void {
  const r = ready(ctx);
  if (!r) return;
  const [ps, sub] = r;
  const kind = pattern ? 'punsubscribe' : 'unsubscribe';
  const names = args.length > 1 ? args.slice(1).map(keyOf) : [...(pattern ? sub.patterns : sub.channels)];
  if (names.length === 0) return ack(ctx, kind, undefined, subCount(sub));
  for (const name of names) {
    ps.remove(sub, name, pattern);
    ack(ctx, kind, name, subCount(sub));
  }
}

export function cmdPublish(ctx: CmdCtx, args: Buffer[]): void {
  const ps = ctx.server.pubsub;
  const channel = keyOf(args[1]!);
  const n = ps ? ps.publish(channel, args[2]!, ctx.sess.subscriber) : 0;
  ctx.server.publishRemote?.(channel, args[2]!);
  ctx.out.int(n);
}

export function cmdPubsub(ctx: CmdCtx, args: Buffer[]): void {
  const sub = lower(args[1]!);
  const ps = ctx.server.pubsub;
  if (sub === 'channels' && args.length <= 3) {
    const pat = args[2] ? keyOf(args[2]) : undefined;
    const out = ps ? [...ps.channels.keys()].filter((c) => pat === undefined || globMatch(pat, c)) : [];
    ctx.out.arr(out.length);
    for (const c of out) ctx.out.bulkLatin1(c);
  } else if (sub === 'numsub') {
    ctx.out.map(args.length - 2);
    for (let i = 2; i < args.length; i++) {
      const c = keyOf(args[i]!);
      ctx.out.bulkLatin1(c);
      ctx.out.int(ps?.channels.get(c)?.size ?? 0);
    }
  } else if (sub === 'numpat' && args.length === 2) ctx.out.int(ps?.patterns.size ?? 0);
  else if (sub === 'help' && args.length === 2) {
    const lines = ['PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'CHANNELS [<pattern>]', 'NUMPAT', 'NUMSUB [<channel> ...]', 'HELP'];
    ctx.out.arr(lines.length);
    for (const l of lines) ctx.out.simple(l);
  } else if (sub === 'channels' || sub === 'numpat' || sub === 'help') {
    ctx.out.error(`ERR unknown subcommand or wrong number of arguments for '${args[1]!.toString('latin1')}'. Try PUBSUB HELP.`);
  } else ctx.out.error(`ERR unknown subcommand '${args[1]!.toString('latin1').slice(0, 128)}'. Try PUBSUB HELP.`);
}

/** PING while subscribed (RESP2): ["pong", message or ""]. */
export function subscribedPing(ctx: CmdCtx, args: Buffer[]): void {
  ctx.out.arr(2);
  ctx.out.bulk('pong');
  ctx.out.bulk(args[1] ?? '');
}
