/**
 * MemoryStore: the Store contract held in process memory, for tests and `memory://`.
 *
 * State is the live key map plus a sorted key index; history is the log of change events
 * (one per revision, contiguous). A list at an older revision starts from the live state and
 * undoes the logged events newer than that revision. Compaction drops log entries at or below
 * the compacted revision; by default the store compacts itself to keep `retainRevisions`.
 */
import { closedError, compactedError, conflictError, futureRevisionError, keyExistsError, keyNotFoundError } from './errors.js';
import { lowerBound, pageStart, prefixEnd } from './key-range.js';
import {
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchCallbacks,
  type WatchEvent,
  type WatchHandle,
} from './store.js';
import { WatchFanout } from './watch-fanout.js';

export interface MemoryStoreOptions {
  /** History kept by automatic compaction (0: never compact automatically). Default 10,000. */
  retainRevisions?: number;
}

export class MemoryStore implements Store {
  private rev = 0;
  private compacted = 0;
  private readonly live = new Map<string, KeyValue>();
  private readonly sortedKeys: string[] = [];
  /** log[i].revision === compacted + 1 + i. */
  private log: WatchEvent[] = [];
  private readonly fanout = new WatchFanout();
  private closed = false;
  private readonly retain: number;

  constructor(opts: MemoryStoreOptions = {}) {
    this.retain = opts.retainRevisions ?? 10_000;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const kv = this.live.get(key);
    return kv && { ...kv };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = this.readRevision(opts.revision);
    const end = prefixEnd(prefix);
    const from = pageStart(prefix, opts.startAfter);
    const inRange = (k: string) => k >= from && (end === undefined || k < end);
    let keys: string[];
    let valueOf: (k: string) => KeyValue | undefined;
    if (revision === this.rev) {
      const lo = lowerBound(this.sortedKeys, from);
      const hi = end === undefined ? this.sortedKeys.length : lowerBound(this.sortedKeys, end);
      keys = this.sortedKeys.slice(lo, hi);
      valueOf = (k) => this.live.get(k);
    } else {
      const snap = this.snapshot(revision, inRange);
      keys = [...snap.keys()].sort();
      valueOf = (k) => snap.get(k);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : keys.length;
    const items = keys.slice(0, limit).map((k) => ({ ...valueOf(k)! }));
    const remaining = keys.length - items.length;
    return { items, revision, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    const end = prefixEnd(prefix);
    const lo = lowerBound(this.sortedKeys, prefix);
    const hi = end === undefined ? this.sortedKeys.length : lowerBound(this.sortedKeys, end);
    return hi - lo;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    if (this.live.has(key)) throw keyExistsError(key);
    const rev = this.rev + 1;
    const kv: KeyValue = { key, value, modRevision: rev, createRevision: rev };
    this.live.set(key, kv);
    this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 0, key);
    this.commit({ type: 'create', key, revision: rev, value, createRevision: rev });
    return { ...kv };
  }

  async update(key: string, value: string, ifModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const cur = this.live.get(key);
    if (!cur) throw keyNotFoundError(key);
    if (cur.modRevision !== ifModRevision) {
      throw conflictError(key, { ...cur }, ifModRevision);
    }
    const rev = this.rev + 1;
    const kv: KeyValue = { key, value, modRevision: rev, createRevision: cur.createRevision };
    this.live.set(key, kv);
    this.commit({
      type: 'update', key, revision: rev, value,
      prevValue: cur.value, prevRevision: cur.modRevision, createRevision: cur.createRevision,
    });
    return { ...kv };
  }

  async delete(key: string, ifModRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    this.checkOpen();
    const cur = this.live.get(key);
    if (!cur) throw keyNotFoundError(key);
    if (ifModRevision !== undefined && cur.modRevision !== ifModRevision) {
      throw conflictError(key, { ...cur }, ifModRevision);
    }
    const rev = this.rev + 1;
    this.live.delete(key);
    this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 1);
    this.commit({
      type: 'delete', key, revision: rev, value: cur.value,
      prevValue: cur.value, prevRevision: cur.modRevision, createRevision: cur.createRevision,
    });
    return { prev: { ...cur }, revision: rev };
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle {
    if (this.closed) return this.fanout.failed(prefix, cb, closedError());
    if (fromRevision < this.compacted) {
      return this.fanout.failed(prefix, cb, compactedError(fromRevision, this.compacted));
    }
    const start = Math.max(0, fromRevision - this.compacted);
    return this.fanout.add(prefix, cb, this.log.slice(start));
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    const target = Math.min(revision, this.rev);
    if (target <= this.compacted) return;
    this.log = this.log.slice(target - this.compacted);
    this.compacted = target;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fanout.closeAll(closedError());
  }

  private commit(ev: WatchEvent): void {
    this.rev = ev.revision;
    this.log.push(ev);
    this.fanout.publish([ev]);
    // Amortised: trim once the log holds twice the retained history.
    if (this.retain > 0 && this.log.length >= 2 * this.retain) {
      const target = this.rev - this.retain;
      this.log = this.log.slice(target - this.compacted);
      this.compacted = target;
    }
  }

  private readRevision(requested: number | undefined): number {
    if (!requested || requested <= 0) return this.rev;
    if (requested < this.compacted) throw compactedError(requested, this.compacted);
    if (requested > this.rev) {
      throw futureRevisionError(requested, this.rev);
    }
    return requested;
  }

  /** Live keys in range as of `revision`, by undoing newer logged events. */
  private snapshot(revision: number, inRange: (k: string) => boolean): Map<string, KeyValue> {
    const snap = new Map<string, KeyValue>();
    for (const [k, kv] of this.live) if (inRange(k)) snap.set(k, kv);
    for (let i = this.log.length - 1; i >= 0; i--) {
      const ev = this.log[i]!;
      if (ev.revision <= revision) break;
      if (!inRange(ev.key)) continue;
      if (ev.type === 'create') snap.delete(ev.key);
      else snap.set(ev.key, { key: ev.key, value: ev.prevValue!, modRevision: ev.prevRevision!, createRevision: ev.createRevision });
    }
    return snap;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}
