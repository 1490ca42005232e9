// A token bucket: at most `perSec` events per second, bursts up to `perSec`.
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSec: number,
    now: number,
  ) {
    this.tokens = perSec;
    this.last = now;
  }

  tryTake(now: number): boolean {
    this.tokens = Math.min(this.perSec, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
