/**
 * One storage watch per resource, fanned out to every API watcher (the role of the apiserver's
 * cacher). Each change is decoded and serialised once; watchers share the bytes. A bounded buffer
 * of recent events lets a watch start at any revision the buffer still covers; older starts fall
 * back to a direct storage watch (which answers 410 once compacted).
 */
import type { ApiObject } from '../../api/object.js';
import { StorageError, type Store, type WatchEvent, type WatchHandle } from '../../storage/store.js';
import { withResourceVersion } from './codec.js';

/** A change as watchers see it; parsing and framing happen at most once, lazily. */
export class CachedEvent {
  private parsed?: ApiObject;
  private prevParsed?: ApiObject | null;
  private readonly frames = new Map<string, Buffer>();
  /** The object JSON with its resourceVersion (for deletes: the last state, at the deletion revision). */
  readonly json: string;
  readonly prevJson?: string;

  readonly revision: number;
  readonly key: string;
  readonly type: WatchEvent['type'];

  // The storage event itself is not kept: json/prevJson already hold its values.
  constructor(ev: WatchEvent) {
    this.revision = ev.revision;
    this.key = ev.key;
    this.type = ev.type;
    this.json = withResourceVersion(ev.value, ev.revision);
    this.prevJson = ev.prevValue !== undefined ? withResourceVersion(ev.prevValue, ev.prevRevision ?? ev.revision) : undefined;
  }

  /** Approximate bytes held (strings count twice: UTF-16). */
  get size(): number {
    return 2 * (this.json.length + (this.prevJson?.length ?? 0)) + 200;
  }

  object(): ApiObject {
    return (this.parsed ??= JSON.parse(this.json) as ApiObject);
  }

  prevObject(): ApiObject | undefined {
    if (this.prevParsed === undefined) this.prevParsed = this.prevJson ? (JSON.parse(this.prevJson) as ApiObject) : null;
    return this.prevParsed ?? undefined;
  }

  /** A shared, memoised encoding of this event for one wire variant (e.g. `ADDED:json`). */
  frame(variant: string, build: () => Buffer): Buffer {
    let f = this.frames.get(variant);
    if (!f) {
      f = build();
      this.frames.set(variant, f);
    }
    return f;
  }
}

export interface CacheSubscriber {
  onEvents(events: CachedEvent[]): void;
  onError(err: StorageError): void;
}

export interface Subscription {
  close(): void;
}

export class WatchCache {
  private readonly buffer: CachedEvent[] = [];
  private bytes = 0;
  private readonly subscribers = new Set<CacheSubscriber>();
  private handle?: WatchHandle;
  private head: number;
  private failed?: StorageError;

  /**
   * @param startRevision the revision the cache is current at when it starts (events after it are delivered)
   * @param capacity how many recent events to keep for watches that start in the past
   * @param maxBytes and at most this many bytes of them (frequently rewritten big objects such as
   *   Node status must not pin hundreds of megabytes)
   */
  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly startRevision: number,
    private readonly capacity = 20_000,
    private readonly maxBytes = 48 * 1024 * 1024,
  ) {
    this.head = startRevision;
  }

  start(): void {
    this.handle = this.store.watch(this.prefix, this.startRevision, {
      onEvents: (events) => this.dispatch(events.map((e) => new CachedEvent(e))),
      onError: (err) => {
        this.failed = err;
        for (const s of this.subscribers) s.onError(err);
        this.subscribers.clear();
      },
    });
  }

  /** The newest revision the cache has seen (at least its start revision). */
  headRevision(): number {
    return this.head;
  }

  private dispatch(events: CachedEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      this.buffer.push(e);
      this.bytes += e.size;
    }
    let drop = 0;
    while (drop < this.buffer.length - 1 && (this.buffer.length - drop > this.capacity || this.bytes > this.maxBytes)) this.bytes -= this.buffer[drop++].size;
    if (drop > 0) this.buffer.splice(0, drop);
    this.head = events[events.length - 1].revision;
    for (const s of this.subscribers) {
      try {
        s.onEvents(events);
      } catch {
        this.subscribers.delete(s);
      }
    }
  }

  /** The oldest revision R such that a watch from R can be served from the buffer. */
  private oldestServable(): number {
    return this.buffer.length ? Math.max(this.startRevision, this.buffer[0].revision - 1) : this.head;
  }

  /**
   * Delivers every event after `fromRevision`, then live events. Returns undefined when the buffer
   * no longer reaches back that far (the caller then watches storage directly).
   */
  subscribe(fromRevision: number, sub: CacheSubscriber): Subscription | undefined {
    if (this.failed) return undefined;
    if (fromRevision < this.oldestServable()) return undefined;
    const backlog = this.buffer.filter((e) => e.revision > fromRevision);
    let live = false;
    const queued: CachedEvent[][] = [];
    const wrapper: CacheSubscriber = {
      onEvents: (evs) => {
        if (!live) queued.push(evs);
        else sub.onEvents(evs.filter((e) => e.revision > fromRevision));
      },
      onError: (err) => sub.onError(err),
    };
    this.subscribers.add(wrapper);
    if (backlog.length) sub.onEvents(backlog);
    live = true;
    for (const evs of queued) sub.onEvents(evs.filter((e) => e.revision > fromRevision));
    return { close: () => this.subscribers.delete(wrapper) };
  }

  stop(): void {
    this.handle?.close();
    this.subscribers.clear();
  }
}
