/**
 * The controller runner (the loop of `staging/src/k8s.io/sample-controller/controller.go`):
 * informers feed a rate-limited workqueue of `namespace/name` keys; N workers take keys and call
 * `reconcile(key)`, which reads the informers' caches, writes through the API and either succeeds
 * (the key's backoff is forgotten), asks to be looked at again later, or throws (the key is
 * requeued with rate limiting; 409 Conflicts are expected and logged quietly).
 */
import { setMaxListeners } from 'node:events';
import { isStatusError } from '../api/errors.js';
import type { Clock } from '../client/clock.js';
import type { RateLimiter } from '../client/rate-limiter.js';
import { objectKey } from '../client/resource-path.js';
import { Workqueue } from '../client/workqueue.js';
import type { Logger } from '../util/logger.js';

export interface ReconcileResult {
  /** Look at the key again after this long, without counting a failure. */
  requeueAfterMs?: number;
}

/** Brings the world in line with the desired state of `key`; throws to be retried with backoff. */
export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;

/** What the runner needs of an informer. */
export interface SyncedSource {
  start(signal: AbortSignal): Promise<void>;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  /** Started with the controller (a running informer is joined, not restarted); workers wait for them to sync. */
  informers?: SyncedSource[];
  /** Concurrent workers (never two on one key). Default 1. */
  workers?: number;
  clock?: Clock;
  /** Default: client-go's DefaultControllerRateLimiter. */
  rateLimiter?: RateLimiter<string>;
  logger?: Logger;
}

export class Controller {
  readonly queue: Workqueue<string>;
  readonly name: string;

  constructor(private readonly opts: ControllerOptions) {
    this.name = opts.name;
    this.queue = new Workqueue<string>({ clock: opts.clock, rateLimiter: opts.rateLimiter });
  }

  /** Queues an object's key (or a key). Event handlers call only this. */
  enqueue(objOrKey: string | { metadata?: { namespace?: string; name?: string } }): void {
    this.queue.add(typeof objOrKey === 'string' ? objOrKey : objectKey(objOrKey));
  }

  enqueueAfter(objOrKey: string | { metadata?: { namespace?: string; name?: string } }, ms: number): void {
    this.queue.addAfter(typeof objOrKey === 'string' ? objOrKey : objectKey(objOrKey), ms);
  }

  /**
   * Starts the informers, waits for their caches, runs the workers; resolves once `signal` has
   * aborted, the workers have finished their current keys and the informers have stopped.
   */
  async start(signal: AbortSignal): Promise<void> {
    const log = this.opts.logger;
    const informers = this.opts.informers ?? [];
    const running = informers.map((i) => i.start(signal));
    // Reconcilers hand the signal to every request they make, many at once: one internal signal,
    // without the listener-count warning, carries the caller's abort to them.
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    const onAbort = () => {
      this.queue.shutDown();
      inner.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const synced = await Promise.all(informers.map((i) => i.waitForSync(signal)));
      if (synced.every(Boolean) && !signal.aborted) {
        log?.info('caches synced, starting workers', { controller: this.name, workers: this.opts.workers ?? 1 });
        await Promise.all(Array.from({ length: Math.max(1, this.opts.workers ?? 1) }, () => this.worker(inner.signal)));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.queue.shutDown();
      await Promise.all(running);
    }
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const result = await this.opts.reconcile(key, signal);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        if (!signal.aborted) {
          const conflict = isStatusError(e) && e.code === 409 && e.reason === 'Conflict';
          this.opts.logger?.[conflict ? 'debug' : 'warn']('reconcile failed, requeuing', {
            controller: this.name,
            key,
            requeues: this.queue.numRequeues(key),
            error: (e as Error).message,
          });
          this.queue.addRateLimited(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }
}
