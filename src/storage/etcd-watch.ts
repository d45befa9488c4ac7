/**
 * One Store watch on one etcd Watch stream (the raw gRPC service that the etcd3 package
 * exposes). etcd3's own Watcher hides the compact_revision of a cancelled watch and silently
 * resumes after disconnects; the Store contract instead wants Compacted with its revision, and a
 * terminal Unavailable on stream loss so the caller re-lists or re-watches from the last
 * revision it saw (as kube-apiserver's etcd3 watcher does: storage/etcd3/watcher.go).
 *
 * A stream that breaks (etcd restart, leader change, network) is re-established after a backoff
 * from the revision after the last delivered event, as etcd's Go client does underneath kube's
 * watcher, so a transient outage costs no events and no re-list; only a compaction that
 * overtook the watch in the meantime ends it (Compacted).
 */
import type { IDuplexStream, IEvent, IKeyValue, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { compactedError } from './errors.js';
import { StorageError, type WatchCallbacks, type WatchEvent, type WatchHandle } from './store.js';

export interface EtcdWatchTarget {
  /** Encoded range: [key, rangeEnd). */
  key: Buffer;
  rangeEnd: Buffer;
  /** Length of the store prefix to strip from etcd keys. */
  stripPrefix: number;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export class EtcdWatch implements WatchHandle {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private done = false;
  /** Revision of the last delivered event (resume point). */
  private lastRevision: number;
  private backoffMs = INITIAL_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: WatchClient,
    private readonly target: EtcdWatchTarget,
    private readonly fromRevision: number,
    private readonly cb: WatchCallbacks,
    private readonly onDone: (w: EtcdWatch) => void,
  ) {
    this.lastRevision = fromRevision;
  }

  async start(): Promise<void> {
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.client.watch();
    } catch {
      this.retry();
      return;
    }
    if (this.done) {
      stream.end();
      stream.cancel();
      return;
    }
    this.stream = stream;
    const broken = () => {
      if (this.stream !== stream) return;
      this.endStream();
      this.retry();
    };
    stream
      .on('data', (res) => {
        if (this.stream === stream) this.onResponse(res);
      })
      .on('error', broken)
      .on('end', broken);
    stream.write({
      create_request: {
        key: this.target.key,
        range_end: this.target.rangeEnd,
        start_revision: this.lastRevision + 1,
        prev_kv: true,
      },
    });
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.stop();
  }

  /** Ends the watch with `err` (no more events); idempotent. */
  fail(err: StorageError): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    this.cb.onError(err);
  }

  private stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.endStream();
    this.onDone(this);
  }

  private retry(): void {
    if (this.done || this.retryTimer) return;
    const delay = this.backoffMs * (0.5 + Math.random() / 2);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, delay);
    this.retryTimer.unref();
  }

  private onResponse(res: IWatchResponse): void {
    if (this.done) return;
    const compacted = Number(res.compact_revision ?? 0);
    if (compacted > 0) {
      this.fail(compactedError(this.lastRevision, compacted));
      return;
    }
    if (res.created) this.backoffMs = INITIAL_BACKOFF_MS;
    if (res.canceled) {
      this.fail(new StorageError('Unavailable', `etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (res.events && res.events.length > 0) {
      const events = res.events.map((e) => this.toEvent(e));
      this.lastRevision = events[events.length - 1]!.revision;
      this.cb.onEvents(events);
    }
  }

  private toEvent(e: IEvent): WatchEvent {
    const key = e.kv.key.toString('utf8', this.target.stripPrefix);
    const revision = Number(e.kv.mod_revision);
    const prev: IKeyValue | undefined = e.prev_kv ?? undefined;
    if (e.type === 'Delete') {
      const last = prev ? prev.value.toString('utf8') : '';
      return {
        type: 'delete', key, revision, value: last,
        prevValue: prev ? last : undefined,
        prevRevision: prev ? Number(prev.mod_revision) : undefined,
        createRevision: prev ? Number(prev.create_revision) : 0,
      };
    }
    const value = e.kv.value.toString('utf8');
    const createRevision = Number(e.kv.create_revision);
    if (createRevision === revision) return { type: 'create', key, revision, value, createRevision };
    return {
      type: 'update', key, revision, value,
      prevValue: prev?.value.toString('utf8'),
      prevRevision: prev ? Number(prev.mod_revision) : undefined,
      createRevision,
    };
  }

  private endStream(): void {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    // Half-close first: the pool only counts errors of still-writable streams against the host,
    // and the cancellation below surfaces as an error event.
    s.end();
    s.cancel();
  }
}
