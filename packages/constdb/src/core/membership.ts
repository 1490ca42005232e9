// Cluster membership as a replicated state: node id -> (in | out, version). A FORGET writes
// "out" and a MEET writes "in", each with a fresh uuid of the node that ran it; entries merge
// last-writer-wins by uuid ("out" wins a tie), so every node that hears any other's view
// (handshakes, pings, acks carry it) ends with the same entry whatever order it heard them
// in, also nodes that were down when the FORGET or MEET ran. The node shells persist it.

export interface MemberEntry { out: boolean; u: bigint }

/** Entries announced at most (a gossiped list longer than this is refused as malformed). */
export const MEMBERS_MAX = 1024;

export class Membership {
  readonly entries = new Map<number, MemberEntry>();

  isOut(id: number): boolean {
    return this.entries.get(id)?.out === true;
  }

  /** The version of id's entry (0 when there is none). */
  version(id: number): bigint {
    return this.entries.get(id)?.u ?? 0n;
  }

  /** Joins one entry; true if it changed ours. */
  set(id: number, out: boolean, u: bigint): boolean {
    const cur = this.entries.get(id);
    if (cur && (cur.u > u || (cur.u === u && (cur.out || !out)))) return false;
    if (!cur && !out && this.entries.size >= MEMBERS_MAX) return false;
    this.entries.set(id, { out, u });
    return true;
  }

  /** Joins another node's view; returns the ids whose entry changed. */
  merge(other: Iterable<[number, MemberEntry]>): number[] {
    const changed: number[] = [];
    for (const [id, e] of other) if (this.set(id, e.out, e.u)) changed.push(id);
    return changed;
  }

  forgotten(): number[] {
    return [...this.entries].filter(([, e]) => e.out).map(([id]) => id);
  }

  /** Wire form: "id:o:u,id:i:u" or "-". */
  format(): string {
    if (this.entries.size === 0) return '-';
    return [...this.entries].map(([id, e]) => `${id}:${e.out ? 'o' : 'i'}:${e.u}`).join(',');
  }

  toJSON(): Array<[number, boolean, string]> {
    return [...this.entries].map(([id, e]) => [id, e.out, String(e.u)]);
  }
}

export class MembershipFormatError extends Error {
  readonly code = 'EMEMBERS';
}

/** Parses the wire form; throws MembershipFormatError on anything malformed. */
export function parseMembers(s: string): Array<[number, MemberEntry]> {
  if (s === '-' || s === '') return [];
  const items = s.split(',');
  if (items.length > MEMBERS_MAX) throw new MembershipFormatError(`more than ${MEMBERS_MAX} membership entries`);
  return items.map((item) => {
    const m = /^(\d{1,15}):([oi]):(\d{1,20})$/.exec(item);
    if (!m) throw new MembershipFormatError(`bad membership entry ${JSON.stringify(item.slice(0, 60))}`);
    const u = BigInt(m[3]!);
    if (u >= 1n << 64n) throw new MembershipFormatError('membership version beyond u64');
    return [Number(m[1]), { out: m[2] === 'o', u }];
  });
}

export function membersFromJSON(rows: Array<[number, boolean, string]>): Array<[number, MemberEntry]> {
  return rows.map(([id, out, u]) => [id, { out, u: BigInt(u) }]);
}
