/**
 * EtcdStore: the Store contract on etcd v3 (3.4+) through the `etcd3` package's raw KV and
 * Watch services, following kube-apiserver's storage/etcd3/store.go:
 *
 * - Keys live under a prefix (default `/registry`); etcd's mod revision is the revision.
 * - create is txn(if create_revision(key) == 0 then put); update and conditional delete are
 *   txn(if mod_revision(key) == r then put/delete else get), so a conflict returns the current
 *   value in the same round trip.
 * - list reads at one revision with limit paging; etcd's count gives `remaining`.
 * - watch starts at fromRevision + 1 with prev_kv; compaction surfaces as Compacted.
 * - Optional background compaction coordinated between several apiservers through the
 *   `compact_rev_key` version, as storage/etcd3/compact.go does.
 */
import { CompareResult, CompareTarget, Etcd3, type IKeyValue, type IRangeRequest, type IResponseHeader } from 'etcd3';
import { closedError, compactedError, conflictError, futureRevisionError, keyExistsError, keyNotFoundError } from './errors.js';
import { EtcdWatch } from './etcd-watch.js';
import { pageStart, prefixEnd } from './key-range.js';
import { StorageError, type KeyValue, type ListOptions, type ListResult, type Store, type WatchCallbacks, type WatchHandle } from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`. */
  hosts: string[];
  /** Key prefix in etcd (default `/registry`). */
  prefix?: string;
  /** Period of the shared background compaction (default 5 minutes, as kube-apiserver; 0 disables). */
  compactIntervalMs?: number;
  /** Called after each background compaction that compacted (for logs and tests). */
  onCompaction?: (revision: number) => void;
  /** Called when a background compaction attempt fails; the loop keeps running. */
  onCompactionError?: (err: unknown) => void;
}

/** The key whose version coordinates compaction between apiservers (kube's name, outside the prefix). */
const COMPACT_REV_KEY = Buffer.from('compact_rev_key');

const enc = (s: string) => Buffer.from(s, 'utf8');

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();
  /** A lower bound of etcd's compacted revision (it only grows). */
  private knownCompacted = 0;
  private compactTimer: NodeJS.Timeout | undefined;
  private compactRun: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EtcdStoreOptions) {
    if (opts.hosts.length === 0) throw new StorageError('InvalidArgument', 'etcd: no endpoints given');
    this.prefix = (opts.prefix ?? '/registry').replace(/\/+$/, '');
    this.client = new Etcd3({ hosts: opts.hosts });
    const interval = opts.compactIntervalMs ?? 5 * 60_000;
    if (interval > 0) this.scheduleCompaction(interval, 0, 0);
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: this.probeKey(), count_only: true }));
    return Number(res.header.revision);
  }

  /**
   * etcd does not report its compacted revision directly; it is the oldest revision a range
   * can still read, found by bisection between the last known value and the current revision.
   */
  async compactedRevision(): Promise<number> {
    const current = await this.currentRevision();
    let lo = Math.max(1, this.knownCompacted);
    let hi = current;
    if (await this.readableAt(lo)) return lo === 1 ? 0 : lo;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.knownCompacted = lo;
    return lo;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: this.enc(key) }));
    const kv = res.kvs[0];
    return kv && this.toKeyValue(kv);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const req: IRangeRequest = {
      key: this.enc(pageStart(prefix, opts.startAfter)),
      range_end: this.rangeEnd(prefix),
      revision: opts.revision && opts.revision > 0 ? opts.revision : 0,
      limit,
    };
    const res = await this.call(() => this.client.kv.range(req), opts.revision);
    const items = res.kvs.map((kv) => this.toKeyValue(kv));
    // The header carries the current revision; a read at an explicit revision is at that one.
    const revision = opts.revision && opts.revision > 0 ? opts.revision : Number(res.header.revision);
    const remaining = Number(res.count) - items.length;
    return { items, revision, more: res.more, remaining };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: this.enc(prefix), range_end: this.rangeEnd(prefix), count_only: true }));
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const k = this.enc(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key: k, value: enc(value) } }],
      }),
    );
    if (!res.succeeded) throw keyExistsError(key);
    const rev = Number(res.header.revision);
    return { key, value, modRevision: rev, createRevision: rev };
  }

  async update(key: string, value: string, ifModRevision: number): Promise<KeyValue> {
    const k = this.enc(key);
    if (!(ifModRevision > 0)) return this.failPrecondition(key, ifModRevision);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: ifModRevision }],
        success: [{ request_put: { key: k, value: enc(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) return this.failPrecondition(key, ifModRevision, res.responses[0]?.response_range.kvs[0]);
    const prev = res.responses[0]!.response_put.prev_kv;
    const rev = Number(res.header.revision);
    return { key, value, modRevision: rev, createRevision: Number(prev.create_revision) };
  }

  async delete(key: string, ifModRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    const k = this.enc(key);
    if (ifModRevision === undefined) {
      const res = await this.call(() => this.client.kv.deleteRange({ key: k, prev_kv: true }));
      const prev = res.prev_kvs[0];
      if (!prev) throw keyNotFoundError(key);
      return { prev: this.toKeyValue(prev), revision: Number(res.header.revision) };
    }
    if (!(ifModRevision > 0)) return this.failPrecondition(key, ifModRevision);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: ifModRevision }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) return this.failPrecondition(key, ifModRevision, res.responses[0]?.response_range.kvs[0]);
    const prev = res.responses[0]!.response_delete_range.prev_kvs[0]!;
    return { prev: this.toKeyValue(prev), revision: Number(res.header.revision) };
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle {
    const w = new EtcdWatch(
      this.client.watchClient,
      { key: this.enc(prefix), rangeEnd: this.rangeEnd(prefix), stripPrefix: Buffer.byteLength(this.prefix) },
      fromRevision,
      cb,
      (done) => this.watches.delete(done),
    );
    if (this.closed) {
      queueMicrotask(() => w.fail(closedError()));
      return w;
    }
    this.watches.add(w);
    void w.start();
    return w;
  }

  async compact(revision: number): Promise<void> {
    const current = await this.currentRevision();
    const target = Math.min(revision, current);
    if (target <= this.knownCompacted) return;
    try {
      await this.client.kv.compact({ revision: target, physical: false });
    } catch (e) {
      // Already compacted at or beyond target: nothing to do.
      if (!/required revision has been compacted/.test(String((e as Error).message))) throw this.toStorageError(e);
    }
    this.knownCompacted = Math.max(this.knownCompacted, target);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compactTimer) clearTimeout(this.compactTimer);
    this.compactTimer = undefined;
    await this.compactRun;
    for (const w of [...this.watches]) w.fail(closedError());
    this.client.close();
  }

  /** Any valid key: ranges over it only serve to read revisions. */
  private probeKey(): Buffer {
    return enc(this.prefix || '/');
  }

  private enc(key: string): Buffer {
    return enc(this.prefix + key);
  }

  /** etcd's range_end for everything under prefix (the store prefix keeps it bounded). */
  private rangeEnd(prefix: string): Buffer {
    const end = prefixEnd(this.prefix + prefix);
    return end === undefined ? Buffer.from([0]) : enc(end);
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString('utf8', Buffer.byteLength(this.prefix)),
      value: kv.value.toString('utf8'),
      modRevision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    };
  }

  private async failPrecondition(key: string, want: number, current?: IKeyValue): Promise<never> {
    const cur = current ?? (await this.call(() => this.client.kv.range({ key: this.enc(key) }))).kvs[0];
    if (!cur) throw keyNotFoundError(key);
    throw conflictError(key, this.toKeyValue(cur), want);
  }

  private async readableAt(revision: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: this.probeKey(), revision, count_only: true });
      return true;
    } catch (e) {
      if (/required revision has been compacted/.test(String((e as Error).message))) return false;
      throw this.toStorageError(e);
    }
  }

  /** Runs one etcd call, translating its errors into StorageErrors. */
  private async call<T>(fn: () => Promise<T>, readRevision?: number): Promise<T> {
    if (this.closed) throw closedError();
    try {
      return await fn();
    } catch (e) {
      const err = this.toStorageError(e);
      if (err.code === 'Compacted') throw compactedError(readRevision ?? 0, await this.compactedRevision().catch(() => 0));
      if (err.code === 'InvalidArgument' && /future revision/.test(err.message)) {
        throw futureRevisionError(readRevision ?? 0, await this.currentRevision().catch(() => 0));
      }
      throw err;
    }
  }

  private toStorageError(e: unknown): StorageError {
    if (e instanceof StorageError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/required revision has been compacted/.test(msg)) return new StorageError('Compacted', msg);
    if (/future revision|request is too large|too many operations|key is not provided/.test(msg)) {
      return new StorageError('InvalidArgument', `etcd: ${msg}`);
    }
    if (this.closed) return closedError();
    return new StorageError('Unavailable', `etcd: ${msg}`);
  }

  /**
   * kube-apiserver's compactor: every interval, whoever bumps compact_rev_key's version from
   * the value it last saw compacts to the revision it saw one interval ago, so several
   * apiservers compact at most once per interval between them.
   */
  private scheduleCompaction(interval: number, lastVersion: number, lastRevision: number): void {
    this.compactTimer = setTimeout(() => {
      this.compactRun = this.compactOnce(lastVersion, lastRevision).then(
        ([v, r]) => {
          if (!this.closed) this.scheduleCompaction(interval, v, r);
        },
        (err) => {
          this.opts.onCompactionError?.(err);
          if (!this.closed) this.scheduleCompaction(interval, lastVersion, lastRevision);
        },
      );
    }, interval);
    this.compactTimer.unref();
  }

  private async compactOnce(lastVersion: number, lastRevision: number): Promise<[number, number]> {
    const res = await this.client.kv.txn({
      compare: [{ key: COMPACT_REV_KEY, target: CompareTarget.Version, result: CompareResult.Equal, version: lastVersion }],
      success: [{ request_put: { key: COMPACT_REV_KEY, value: enc(String(lastRevision)) } }],
      failure: [{ request_range: { key: COMPACT_REV_KEY } }],
    });
    const header: IResponseHeader = res.header;
    const currentRevision = Number(header.revision);
    if (!res.succeeded) {
      const version = Number(res.responses[0]?.response_range.kvs[0]?.version ?? 0);
      return [version, currentRevision];
    }
    if (lastRevision > 0 && !this.closed) {
      await this.compact(lastRevision);
      this.opts.onCompaction?.(lastRevision);
    }
    return [lastVersion + 1, currentRevision];
  }
}
