// Clients blocked in BLPOP/BRPOP: each waits on its keys; a change to one of them (a local
// or replicated list write, signalled by the keyspace) retries the waiters of that key on the
// next turn, oldest first, and the timeout answers nil. A waiter is served at most once.
interface Waiter {
  keys: string[];
  alive(): boolean;
  serve(now: number): boolean;
  done(): void;
  timer?: NodeJS.Timeout;
}

export class Blocking {
  private readonly byKey = new Map<string, Waiter[]>();
  private readonly pending = new Set<string>();
  private scheduled = false;
  blockedClients = 0;

  block(keys: string[], timeoutMs: number, serve: (now: number) => boolean, timedOut: () => void, alive: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      let finished = false;
      const w: Waiter = {
        keys,
        alive,
        serve,
        done: () => {
          if (finished) return;
          finished = true;
          if (w.timer) clearTimeout(w.timer);
          this.remove(w);
          this.blockedClients--;
          resolve();
        },
      };
      this.blockedClients++;
      for (const k of keys) {
        let ws = this.byKey.get(k);
        if (!ws) this.byKey.set(k, (ws = []));
        ws.push(w);
      }
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          timedOut();
          w.done();
        }, timeoutMs);
      }
    });
  }

  /** A key changed: its waiters get a try on the next turn (after the writing batch). */
  signal(key: string): void {
    if (!this.byKey.has(key)) return;
    this.pending.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const keys = [...this.pending];
      this.pending.clear();
      for (const k of keys) {
        for (const w of [...(this.byKey.get(k) ?? [])]) if (!w.alive() || w.serve(Date.now())) w.done();
      }
    });
  }

  /** Drops the waiters of closed connections (called when a client goes). */
  sweep(): void {
    const dead = new Set<Waiter>();
    for (const ws of this.byKey.values()) for (const w of ws) if (!w.alive()) dead.add(w);
    for (const w of dead) w.done();
  }

  private remove(w: Waiter): void {
    for (const k of w.keys) {
      const ws = this.byKey.get(k);
      if (!ws) continue;
      const i = ws.indexOf(w);
      if (i >= 0) ws.splice(i, 1);
      if (ws.length === 0) this.byKey.delete(k);
    }
  }
}
