/**
 * An informer: list-then-watch into an indexed cache, with event handlers (client-go
 * `tools/cache/reflector.go` + `shared_informer.go`; @kubernetes/client-node `cache.ts`).
 *
 * - Lists, replaces the cache (emitting adds/updates/deletes against the old contents), then
 *   watches from the list's resourceVersion, following bookmarks.
 * - 410 Gone (at watch start or as an ERROR event) relists at once; any other ERROR event relists
 *   after backoff; a broken connection re-watches from the last resourceVersion after backoff.
 * - Backoff is exponential with jitter (800 ms → 30 s, reset after 2 min without failures).
 * - Handlers receive cached objects, which they must not mutate.
 */
import type { ApiObject } from '../api/object.js';
import { isStatusError, StatusError } from '../api/errors.js';
import type { Logger } from '../util/logger.js';
import type { WatchEvent } from './api-client.js';
import { statusErrorFromResponse } from './api-client.js';
import { type IndexFunc, IndexedCache, type Lister } from './cache.js';
import { type Clock, realClock, sleep } from './clock.js';
import type { ListWatcher } from './list-watch.js';
import { objectKey } from './resource-path.js';

export interface EventHandler<T> {
  /** `initialList` is true for objects delivered by the first list. */
  onAdd?(obj: T, initialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** The object's last state (the watch's DELETED object, or the last cached one after a relist). */
  onDelete?(obj: T): void;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Each delay d becomes d·(1 + jitter·random()). */
  jitter: number;
  /** Failures older than this no longer grow the delay. */
  resetAfterMs: number;
}

export interface InformerOptions<T> {
  /** For log lines, e.g. `namespaces`. */
  name?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Re-deliver every cached object as an update this often (0: never), as client-go's resync. */
  resyncPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  logger?: Logger;
}

const defaultBackoff: BackoffOptions = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 120_000 };
/** Server-side watch timeout: 5 min plus up to 5 min of jitter, as the reflector's minWatchTimeout. */
const minWatchTimeoutSeconds = 300;

/** The watch ended because the resourceVersion is too old or the server reported an error. */
class RelistNeeded extends Error {
  constructor(
    readonly immediately: boolean,
    cause: StatusError,
  ) {
    super(cause.message);
  }
}

export class Informer<T extends ApiObject = ApiObject> implements Lister<T> {
  readonly cache: IndexedCache<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private running?: Promise<void>;
  private resourceVersion = '';
  private failures = 0;
  private lastFailureAt = -Infinity;

  constructor(
    private readonly lw: ListWatcher<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.cache = new IndexedCache<T>(opts.indexers ?? {});
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = { ...defaultBackoff, ...opts.backoff };
  }

  // --- Lister ------------------------------------------------------------------------------------
  get(key: string): T | undefined {
    return this.cache.get(key);
  }
  list(): T[] {
    return this.cache.list();
  }
  keys(): string[] {
    return this.cache.keys();
  }
  byIndex(name: string, value: string): T[] {
    return this.cache.byIndex(name, value);
  }

  /**
   * Registers handlers; returns their remover. A handler added after objects are cached first
   * receives an add for each of them.
   */
  addEventHandler(h: EventHandler<T>): () => void {
    this.handlers.add(h);
    for (const obj of this.cache.list()) this.call(() => h.onAdd?.(obj, true));
    return () => this.handlers.delete(h);
  }

  /** True once the first list has been delivered to the cache and the handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** The resourceVersion of the last list or event applied. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Runs until `signal` aborts, then resolves. A second call while running joins the first run. */
  start(signal: AbortSignal): Promise<void> {
    this.running ??= Promise.all([this.run(signal), this.resyncLoop(signal)]).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        if (signal.aborted) break;
        await this.watchOnce(signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof RelistNeeded) {
          needList = true;
          this.opts.logger?.debug('relisting', { informer: this.opts.name, reason: e.message });
          if (e.immediately) continue;
        } else {
          this.opts.logger?.warn(needList ? 'list failed' : 'watch failed', { informer: this.opts.name, error: (e as Error).message });
        }
        await sleep(this.clock, this.nextBackoff(), signal);
      }
    }
  }

  private nextBackoff(): number {
    const now = this.clock.now();
    if (now - this.lastFailureAt > this.backoff.resetAfterMs) this.failures = 0;
    this.lastFailureAt = now;
    const base = Math.min(this.backoff.initialMs * this.backoff.factor ** this.failures, this.backoff.maxMs);
    this.failures++;
    return base * (1 + this.backoff.jitter * this.random());
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const list = await this.lw.list({ signal });
    if (signal.aborted) return;
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.upsert(obj);
      if (old) this.emit((h) => h.onUpdate?.(old, obj));
      else this.emit((h) => h.onAdd?.(obj, initial));
    }
    for (const key of this.cache.keys()) {
      if (seen.has(key)) continue;
      const old = this.cache.remove(key)!;
      this.emit((h) => h.onDelete?.(old));
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** One watch connection; returns when the server closes it, throws to relist or back off. */
  private async watchOnce(signal: AbortSignal): Promise<void> {
    const inner = new AbortController();
    const onAbort = () => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const startedAt = this.clock.now();
    let events = 0;
    try {
      const timeoutSeconds = Math.floor(minWatchTimeoutSeconds * (1 + this.random()));
      const stream = this.lw.watch({ resourceVersion: this.resourceVersion, timeoutSeconds, signal: inner.signal });
      for await (const ev of stream) {
        if (signal.aborted) return;
        events++;
        this.apply(ev);
      }
    } catch (e) {
      if (isStatusError(e) && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone')) throw new RelistNeeded(true, e);
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
    }
    // A stream that closes at once without events is a misbehaving server: back off (as the reflector does).
    if (!signal.aborted && events === 0 && this.clock.now() - startedAt < 1000) throw new Error('very short watch: the watch closed immediately without events');
  }

  private apply(ev: WatchEvent<T>): void {
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = ev.object;
        const old = this.cache.upsert(obj);
        if (old) this.emit((h) => h.onUpdate?.(old, obj));
        else this.emit((h) => h.onAdd?.(obj, false));
        break;
      }
      case 'DELETED': {
        const obj = ev.object;
        const old = this.cache.remove(objectKey(obj));
        this.emit((h) => h.onDelete?.(obj ?? old));
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = ev.object as unknown as { code?: number };
        const err = statusErrorFromResponse(status.code ?? 500, JSON.stringify(ev.object));
        throw new RelistNeeded(err.code === 410, err);
      }
      default:
        return;
    }
    const rv = ev.object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    while (!signal.aborted) {
      await sleep(this.clock, period, signal);
      if (signal.aborted || !this.synced) continue;
      for (const obj of this.cache.list()) this.emit((h) => h.onUpdate?.(obj, obj));
    }
  }

  private emit(fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.opts.logger?.error('informer event handler failed', { informer: this.opts.name, error: (e as Error).message });
    }
  }
}
