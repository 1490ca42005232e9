// The operator's two ways to make replicas ready without the usual recovery, run by the
// server that received the admin command (pure: time comes in, messages go out via drain()):
//
//  init   forms a new cluster. Every server must answer, and each must be blank (a fresh
//         disk that never completed a bootstrap) or an empty member of the cluster an
//         interrupted init already installed. Anything else (a server that lost its state,
//         one that holds sequences) refuses the init: that is an existing cluster, and a
//         server that lost its disk rejoins it by recovery. Then INSTALL(init) everywhere.
//  force  force-recover --floor N, the way out of a majority loss. A majority of the servers
//         must answer; the ready ones are fenced (their in-flight writes die, their values
//         come back), and every answering server installs the per-name maximum and the floor
//         max(N, their floors): every name, known or not, continues at or above N. Nothing
//         can check N: if the lost majority had handed out IDs at or above N, those repeat.
//
// Both need a majority of distinct replicas to acknowledge INSTALL (init: every server).

import { majority, type PeerOp, type PeerResult } from './types.js';

export type AdminRequest = { kind: 'init' } | { kind: 'force'; floor: bigint };

export interface AdminResult {
  ok: boolean;
  message: string;
}

export interface BootstrapSend {
  to: number;
  op: PeerOp;
}

type Phase = 'probe' | 'fence' | 'install' | 'done';

export class Bootstrap {
  private phase: Phase = 'probe';
  private round = '';
  private rounds = 0;
  private timeoutAt = 0;
  private results = new Map<number, PeerResult>();
  private probed = new Map<number, PeerResult>();
  private sends: BootstrapSend[] = [];
  private result: AdminResult | undefined;
  private installCluster = '';

  constructor(
    private readonly nodes: number,
    private readonly req: AdminRequest,
    private readonly roundTimeoutMs: number,
    /** Prefix of every op id: unique to this run. */
    private readonly session: string,
    private readonly membership: string,
    /** The cluster id to create if no server holds one yet. */
    private readonly newCluster: string,
  ) {}

  get done(): boolean {
    return this.result !== undefined;
  }

  start(now: number): void {
    this.send('PROBE', [...Array(this.nodes).keys()], now);
  }

  tick(now: number): void {
    if (!this.done && now >= this.timeoutAt) this.conclude(true, now);
  }

  nextWakeAt(): number | undefined {
    return this.done ? undefined : this.timeoutAt;
  }

  onResult(from: number, r: PeerResult, now: number): void {
    if (this.done || r.id !== this.round || this.results.has(from)) return;
    // An ERROR without a reason is a transport failure (or a server still starting): that
    // server did not answer. One with a reason (membership, cluster) is a refusal.
    if (r.status === 'ERROR' && !r.error) return;
    this.results.set(from, r);
    if (this.results.size === this.expected) this.conclude(false, now);
  }

  drain(): { sends: BootstrapSend[]; result?: AdminResult } {
    const sends = this.sends;
    this.sends = [];
    return this.result ? { sends, result: this.result } : { sends };
  }

  private expected = 0;

  private send(kind: 'PROBE' | 'FENCE' | 'INSTALL', to: number[], now: number, extra: Partial<PeerOp> = {}): void {
    this.phase = kind === 'PROBE' ? 'probe' : kind === 'FENCE' ? 'fence' : 'install';
    this.rounds += 1;
    this.round = `${this.session}.b${this.rounds}`;
    this.results = new Map();
    this.expected = to.length;
    this.timeoutAt = now + this.roundTimeoutMs;
    for (const n of to) this.sends.push({ to: n, op: { id: this.round, kind, name: '', from: 0n, to: 0n, token: '', membership: this.membership, ...extra } });
  }

  private finish(ok: boolean, message: string): void {
    this.phase = 'done';
    this.result = { ok, message };
  }

  /** Distinct replicas among results (one server reached through two slots counts once). */
  private distinct(rs: Map<number, PeerResult>, pred: (r: PeerResult) => boolean): Map<number, PeerResult> {
    const seen = new Set<string>();
    const out = new Map<number, PeerResult>();
    for (const [from, r] of rs) {
      const key = r.replica || `#${from}`;
      if (!pred(r) || seen.has(key)) continue;
      seen.add(key);
      out.set(from, r);
    }
    return out;
  }

  /** A round ended: all answered (timedOut false) or its time ran out. */
  private conclude(timedOut: boolean, now: number): void {
    const what = this.req.kind === 'init' ? 'init' : 'force-recover';
    const errors = [...this.results].filter(([, r]) => r.status === 'ERROR');
    if (errors.length > 0) {
      const [from, r] = errors[0]!;
      this.finish(false, `${what} refused: server ${from} answered ${r.error ?? 'ERROR'}`);
      return;
    }
    const need = majority(this.nodes);
    if (this.phase === 'probe') {
      this.probed = this.results;
      const answered = this.distinct(this.probed, () => true).size;
      const ready = this.distinct(this.probed, (r) => r.status === 'OK');
      const clusters = new Set([...ready.values()].map((r) => r.cluster ?? ''));
      if (clusters.size > 1) return this.finish(false, `${what} refused: servers belong to different clusters (${[...clusters].join(', ')})`);
      // No ready server: the cluster the recovering ones remember (identity records), if any.
      const known = new Set([...this.probed.values()].filter((r) => r.status === 'RECOVERING' && r.cluster).map((r) => r.cluster!));
      if (clusters.size === 0 && known.size > 1) return this.finish(false, `${what} refused: servers remember different clusters (${[...known].join(', ')})`);
      this.installCluster = [...clusters][0] ?? [...known][0] ?? this.newCluster;
      if (this.req.kind === 'init') {
        if (timedOut || answered < this.nodes) return this.finish(false, `init needs every server up and reachable: ${answered} of ${this.nodes} answered`);
        for (const [from, r] of this.probed) {
          if (r.status === 'OK' && !r.empty) return this.finish(false, `init refused: the cluster already exists (server ${from} holds sequences of cluster ${r.cluster})`);
          if (r.status === 'RECOVERING' && !r.blank) {
            return this.finish(false, `init refused: server ${from} lost the state of an already bootstrapped cluster; it rejoins by itself, or after a majority loss use force-recover --floor N`);
          }
        }
        this.send('INSTALL', [...this.probed.keys()], now, { cluster: this.installCluster, mode: 'init' });
        return;
      }
      if (answered < need) return this.finish(false, `force-recover needs a majority of the servers up: ${answered} of ${this.nodes} answered (${need} needed)`);
      if (ready.size === 0) return this.install(new Map(), this.req.floor, now);
      this.send('FENCE', [...ready.keys()], now);
      return;
    }
    if (this.phase === 'fence') {
      if (timedOut) return this.finish(false, `force-recover: ${this.results.size} of ${this.expected} ready servers answered the fence; run it again`);
      const values = new Map<string, bigint>();
      let floor = this.req.kind === 'force' ? this.req.floor : 1n;
      for (const r of this.results.values()) {
        if (r.floor !== undefined && r.floor > floor) floor = r.floor;
        for (const [name, v] of r.entries ?? []) if (v > (values.get(name) ?? 0n)) values.set(name, v);
      }
      return this.install(values, floor, now);
    }
    // install
    const acked = this.distinct(this.results, (r) => r.status === 'OK').size;
    const want = this.req.kind === 'init' ? this.nodes : need;
    if (acked >= want) {
      this.finish(true, `${what} done: ${acked} of ${this.nodes} servers are ready members of cluster ${this.installCluster}`);
    } else {
      this.finish(false, `${what} incomplete: ${acked} of ${this.nodes} servers installed cluster ${this.installCluster} (${want} needed); run it again`);
    }
  }

  private install(values: Map<string, bigint>, floor: bigint, now: number): void {
    this.send('INSTALL', [...this.probed.keys()], now, {
      cluster: this.installCluster,
      mode: 'force',
      entries: [...values],
      to: floor,
    });
  }
}
