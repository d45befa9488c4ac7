/**
 * In-process watch delivery for the single-process backends (memory, sqlite).
 *
 * Contract: a watcher registered with `add` first receives its replay (events already in the
 * log after its start revision), then every event `publish`ed after registration, in order,
 * with no gaps or duplicates. This holds because the owning store computes the replay and
 * registers the watcher synchronously, and publishes synchronously after each commit: nothing
 * can commit in between. Delivery itself is asynchronous (one microtask per watcher), so
 * callbacks never run inside a store write, and events committed in the same tick reach a
 * watcher as one batch.
 */
import { StorageError, type WatchCallbacks, type WatchEvent, type WatchHandle } from './store.js';

class FanoutWatcher implements WatchHandle {
  pending: WatchEvent[] = [];
  private scheduled = false;
  private error: StorageError | undefined;
  closed = false;

  constructor(
    readonly prefix: string,
    private readonly cb: WatchCallbacks,
    private readonly owner: Set<FanoutWatcher>,
  ) {}

  push(events: readonly WatchEvent[]): void {
    for (const e of events) if (e.key.startsWith(this.prefix)) this.pending.push(e);
    if (this.pending.length > 0) this.schedule();
  }

  fail(err: StorageError): void {
    if (this.closed || this.error) return;
    this.error = err;
    this.owner.delete(this);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    this.owner.delete(this);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.cb.onEvents(batch);
    if (this.error && !this.closed) {
      this.closed = true;
      this.cb.onError(this.error);
    }
  }
}

export class WatchFanout {
  private readonly watchers = new Set<FanoutWatcher>();

  /** Registers a watcher; `replay` (already filtered by revision) is delivered first. */
  add(prefix: string, cb: WatchCallbacks, replay: readonly WatchEvent[]): WatchHandle {
    const w = new FanoutWatcher(prefix, cb, this.watchers);
    this.watchers.add(w);
    w.push(replay);
    return w;
  }

  /** A watcher that only reports `err` (asynchronously), e.g. Compacted at start. */
  failed(prefix: string, cb: WatchCallbacks, err: StorageError): WatchHandle {
    const w = new FanoutWatcher(prefix, cb, new Set());
    w.fail(err);
    return w;
  }

  /** Delivers the events of one commit to every watcher whose prefix matches. */
  publish(events: readonly WatchEvent[]): void {
    for (const w of this.watchers) w.push(events);
  }

  /** Ends every watcher with `err` after its pending events. */
  closeAll(err: StorageError): void {
    for (const w of [...this.watchers]) w.fail(err);
  }

  get size(): number {
    return this.watchers.size;
  }
}
