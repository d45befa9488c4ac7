/**
 * Workqueue rate limiters, as client-go's `util/workqueue/default_rate_limiters.go`: how long an item
 * waits before it is retried. All durations are milliseconds.
 */
import { type Clock, realClock } from './clock.js';

export interface RateLimiter<T = string> {
  /** The delay before `item` may be processed again; counts one more failure of it. */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded): its next failure starts from the base delay. */
  forget(item: T): void;
  /** How many times `item` has been requeued since it was last forgotten. */
  numRequeues(item: T): number;
}

/** base·2^failures per item, capped at `maxMs` (client-go ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<T = string> implements RateLimiter<T> {
  private failures = new Map<T, number>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const backoff = this.baseMs * 2 ** exp;
    return Number.isFinite(backoff) ? Math.min(backoff, this.maxMs) : this.maxMs;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket shared by all items (client-go BucketRateLimiter over golang.org/x/time/rate):
 * `qps` tokens per second refill a bucket of `burst`; each `when` reserves one token and returns how
 * long until it is available.
 */
export class BucketRateLimiter<T = string> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go MaxOfRateLimiter). */
export class MaxOfRateLimiter<T = string> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go DefaultControllerRateLimiter: per-item 5 ms → 1000 s exponential, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<T = string>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1000_000), new BucketRateLimiter<T>(10, 100, clock));
}
