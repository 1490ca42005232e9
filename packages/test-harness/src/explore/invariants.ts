// Invariant builders over the world's ghost observations (what nodes reported, kept even when
// the node later crashed or lost its disk), for the safety properties every Paxos here shares.
import type { Invariant } from './explore.js';
import type { World } from './worldTypes.js';

export interface InstanceValue {
  /** e.g. `${entity}:${entry}`, `${key}@${version}`, a slot number. */
  instance: string;
  value: string;
}

/** Only the ghost part of a world: these invariants fit every MessageWorld. */
type AnyWorld<O> = Pick<World<unknown, unknown, unknown, unknown, O>, 'ghost'>;

/** At most one value is chosen per instance, over every node's 'chosen' reports ever made. */
export function atMostOneChosen<O>(chosen: (o: O) => InstanceValue | undefined): Invariant<AnyWorld<O>> {
  return {
    name: 'at most one value chosen per instance',
    check(w) {
      const seen = new Map<string, string>();
      for (const { obs } of w.ghost) {
        const c = chosen(obs);
        if (!c) continue;
        const prior = seen.get(c.instance);
        if (prior !== undefined && prior !== c.value) return `instance ${c.instance}: chosen ${prior} and ${c.value}`;
        seen.set(c.instance, c.value);
      }
      return null;
    },
  };
}

/**
 * Every acknowledged write is in the chosen log: an ack names (instance, value), and every
 * 'chosen' report for that instance, by any node, before or after the ack, carries that value.
 * (An ack whose instance no node reports chosen is allowed only if `ackImpliesChosen` is false.)
 */
export function ackedAreChosen<O>(
  acked: (o: O) => InstanceValue | undefined,
  chosen: (o: O) => InstanceValue | undefined,
  ackImpliesChosen = true,
): Invariant<AnyWorld<O>> {
  return {
    name: 'every acknowledged write is in the chosen log',
    check(w) {
      const chosenBy = new Map<string, Set<string>>();
      for (const { obs } of w.ghost) {
        const c = chosen(obs);
        if (!c) continue;
        const set = chosenBy.get(c.instance) ?? new Set();
        set.add(c.value);
        chosenBy.set(c.instance, set);
      }
      for (const { obs } of w.ghost) {
        const a = acked(obs);
        if (!a) continue;
        const values = chosenBy.get(a.instance);
        if (!values) {
          if (ackImpliesChosen) return `acknowledged ${a.value} at ${a.instance}, which no replica reports chosen`;
          continue;
        }
        for (const v of values) if (v !== a.value) return `acknowledged ${a.value} at ${a.instance}, but ${v} is chosen there`;
      }
      return null;
    },
  };
}

/** A named check over the whole world (for invariants a system states in its own terms). */
export function worldInvariant<N, D, P, M, O>(name: string, check: (w: World<N, D, P, M, O>) => string | null): Invariant<World<N, D, P, M, O>> {
  return { name, check };
}
