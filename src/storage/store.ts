/**
 * The storage contract: a revisioned key-value store (DESIGN.md §2.3), modelled on
 * k8s.io/apiserver/pkg/storage.Interface and kine's log-structured store.
 *
 * - One global, monotonic revision; every write gets the next one. It is the resourceVersion.
 * - `update` and `delete` are conditional on the revision the caller last saw (optimistic lock).
 * - `list` reads a consistent snapshot at one revision and pages with an opaque continue key.
 * - `watch` delivers every change after `fromRevision`, in revision order, without gaps; a
 *   `fromRevision` older than the compacted revision fails with `Compacted` (the API's 410 Gone).
 * - An acknowledged write is durable (survives kill -9 of the process).
 *
 * Values are opaque strings (the apiserver stores JSON). Keys are `/`-separated paths; a prefix
 * used with list/watch must end with `/` to select a directory.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that produced this value (the object's resourceVersion). */
  modRevision: number;
  /** Revision at which the key was created. */
  createRevision: number;
}

export interface ListOptions {
  /** Read at this revision (0 or undefined: the newest). Older than the compacted revision: `Compacted`. */
  revision?: number;
  /** Page size; 0 or undefined: all. */
  limit?: number;
  /** Start strictly after this key (the last key of the previous page). */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the snapshot was read at. */
  revision: number;
  /** True when more keys follow the last returned one at this revision. */
  more: boolean;
  /** Number of keys after this page, when the backend knows it cheaply. */
  remaining?: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The revision of this change. */
  revision: number;
  /** New value for create/update; the last value before deletion for delete. */
  value: string;
  /** The value before this change (update and delete); undefined for create. */
  prevValue?: string;
  /** modRevision of prevValue. */
  prevRevision?: number;
  createRevision: number;
}

export interface WatchHandle {
  /** Stops delivery; idempotent. */
  close(): void;
}

export interface WatchCallbacks {
  /** Events in revision order; a batch never straddles a gap. */
  onEvents(events: WatchEvent[]): void;
  /** Terminal error (e.g. Compacted, Unavailable); no more events follow. */
  onError(err: StorageError): void;
}

export type StorageErrorCode = 'KeyExists' | 'KeyNotFound' | 'Conflict' | 'Compacted' | 'Unavailable' | 'InvalidArgument';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly key?: string,
    /** For Conflict: the current value; for Compacted: the compacted revision. */
    readonly current?: KeyValue,
    readonly compactedRevision?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export interface Store {
  /** The newest revision. */
  currentRevision(): Promise<number>;
  /** The oldest revision that list/watch can still serve (compacted revision + 1 or so). */
  compactedRevision(): Promise<number>;
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys under prefix. */
  count(prefix: string): Promise<number>;
  /** Fails with `KeyExists` if the key is live. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Fails with `KeyNotFound`, or `Conflict` (carrying the current value) if modRevision differs. */
  update(key: string, value: string, ifModRevision: number): Promise<KeyValue>;
  /**
   * Deletes the key; with `ifModRevision` only if it still has that revision (`Conflict` otherwise).
   * Returns the deleted value and the deletion revision.
   */
  delete(key: string, ifModRevision?: number): Promise<{ prev: KeyValue; revision: number }>;
  /** Watches keys under prefix from `fromRevision` (exclusive: events with revision > fromRevision). */
  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle;
  /** Drops history older than `revision` (the newest value of each live key is always kept). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}
