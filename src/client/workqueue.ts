/**
 * A rate-limited, delaying work queue of keys, with client-go's guarantees
 * (`util/workqueue/queue.go`, `delaying_queue.go`, `rate_limiting_queue.go`):
 *   - an item queued several times is processed once (dedup while queued);
 *   - an item is never handed to two workers at once: re-added while processing, it is queued
 *     again only after `done`;
 *   - `addAfter` delays an item; of several pending delays for one item the earliest wins;
 *   - `addRateLimited` delays by the rate limiter (per-item backoff plus an overall bucket), and
 *     `forget` resets the item's backoff.
 */
import { type Clock, type TimerHandle, realClock } from './clock.js';
import { type RateLimiter, defaultControllerRateLimiter } from './rate-limiter.js';

export interface WorkqueueOptions<T> {
  clock?: Clock;
  rateLimiter?: RateLimiter<T>;
}

export class Workqueue<T = string> {
  private readonly queue: T[] = [];
  /** Items that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly waiting = new Map<T, { readyAt: number; timer: TimerHandle }>();
  private readonly getters: ((item: T | undefined) => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private shutdown = false;
  private readonly clock: Clock;
  readonly rateLimiter: RateLimiter<T>;

  constructor(opts: WorkqueueOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  /** Marks `item` as needing processing. Ignored after shutdown. */
  add(item: T): void {
    if (this.shutdown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.push(item);
  }

  /** Adds `item` once `ms` have passed (at once when `ms <= 0`). */
  addAfter(item: T, ms: number): void {
    if (this.shutdown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(item);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(() => {
      this.waiting.delete(item);
      this.add(item);
    }, ms);
    this.waiting.set(item, { readyAt, timer });
  }

  /** Adds `item` after the rate limiter's delay for it. */
  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Resets `item`'s backoff; call it when processing succeeded. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Items ready for processing now (not counting delayed ones or those in flight). */
  len(): number {
    return this.queue.length;
  }

  /**
   * The next item, once one is ready; the caller owns it until `done(item)`. Resolves `undefined`
   * when the queue is shut down and (for `get`) nothing is left to hand out.
   */
  get(): Promise<T | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shutdown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Ends processing of `item`; if it was re-added meanwhile, it is queued again. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item) && !this.shutdown) this.push(item);
    if (this.processing.size === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const r of w) r();
    }
  }

  shuttingDown(): boolean {
    return this.shutdown;
  }

  /**
   * Stops the queue: delayed items are dropped, queued items are no longer handed out, and pending
   * and future `get`s resolve `undefined`. Items in flight may still call `done`.
   */
  shutDown(): void {
    if (this.shutdown) return;
    this.shutdown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** `shutDown`, then resolves once every item in flight is `done`. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(item: T): void {
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(item);
      this.processing.add(item);
      getter(item);
      return;
    }
    this.queue.push(item);
  }

  private take(): T {
    const item = this.queue.shift() as T;
    this.dirty.delete(item);
    this.processing.add(item);
    return item;
  }
}
