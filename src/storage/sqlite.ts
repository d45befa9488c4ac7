/**
 * SqliteStore: the Store contract on one SQLite file (better-sqlite3), modelled on kine's
 * log-structured schema (k3s-io/kine pkg/drivers/sqlite/sqlite.go, pkg/logstructured/):
 *
 * - One append-only table `kine`; its AUTOINCREMENT id is the revision. Every write appends a
 *   row: a create, an update (`prev_revision` = the replaced row, `old_value` its value) or a
 *   delete marker (`deleted` = 1, `value` = the last value). `sqlite_sequence` keeps the newest
 *   revision even after compaction has removed the newest rows.
 * - A unique (name, prev_revision) index is the optimistic lock: two writers that both read
 *   revision r of a key cannot both append a successor of r.
 * - The value of a key at revision R is its newest row with id <= R, unless that row is a
 *   delete marker. Compaction to R removes rows that are superseded by a row <= R, and delete
 *   markers <= R (see sqlite-compactor.ts), so every read at a revision >= R is unchanged.
 *
 * Durability: WAL with synchronous=NORMAL by default. A commit has been written to the WAL
 * (the OS page cache) before better-sqlite3 returns, so an acknowledged write survives the
 * process being killed (kill -9); only an OS crash or power loss can roll back the newest
 * commits, never corrupt the file. synchronous=FULL (option) fsyncs each commit for that case,
 * at a cost of one fsync per write.
 *
 * The database is opened in exclusive locking mode: one process owns the file, which is what
 * makes in-process watch notification complete. better-sqlite3 is synchronous, so every method
 * runs to completion without interleaving; watchers are notified right after each commit.
 */
import Database from 'better-sqlite3';
import { closedError, compactedError, conflictError, futureRevisionError, keyExistsError, keyNotFoundError } from './errors.js';
import { pageStart, prefixEnd } from './key-range.js';
import { SqliteCompactor, type MaintenanceResult } from './sqlite-compactor.js';
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type WatchCallbacks,
  type WatchEvent,
  type WatchHandle,
} from './store.js';
import { WatchFanout } from './watch-fanout.js';

export type { MaintenanceResult } from './sqlite-compactor.js';

export interface SqliteStoreOptions {
  /** Database file; created if missing. */
  path: string;
  /** 'normal' (default): durable against process death; 'full': also against power loss. */
  synchronous?: 'normal' | 'full';
  /** Period of the background compaction loop in ms (default 5,000; 0 disables the loop). */
  compactIntervalMs?: number;
  /** Revisions of history kept by background compaction (default 1,000, as kine). */
  retainRevisions?: number;
  /** Rows examined per compaction transaction (default 500). */
  compactBatchSize?: number;
  /** Called after each background maintenance pass (for logs and tests). */
  onMaintenance?: (result: MaintenanceResult) => void;
  /** Called when a background maintenance pass fails; the loop keeps running. */
  onMaintenanceError?: (err: unknown) => void;
}

/** One row of the log table. */
export interface LogRow {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
  old_value: string | null;
}

/** Upper bound for "no end": greater than any key the apiserver writes. */
const KEYSPACE_END = '\u{10FFFF}';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL,
  old_value TEXT
);
CREATE INDEX IF NOT EXISTS kine_name_id_index ON kine (name, id);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * The newest row per key in [lo, hi) at or below a revision; delete markers filtered out.
 * The grouped subquery walks the name index in order, so ordering by its name column needs no
 * sort (ordering by kv.name would sort the full rows in a temporary b-tree).
 */
const LATEST_IN_RANGE = `
  FROM (SELECT name, MAX(id) AS mid FROM kine WHERE name >= ? AND name < ? AND id <= ? GROUP BY name ORDER BY name) AS m
  JOIN kine AS kv ON kv.id = m.mid
  WHERE kv.deleted = 0`;

function rowCreateRevision(r: Pick<LogRow, 'id' | 'created' | 'create_revision'>): number {
  return r.created ? r.id : r.create_revision;
}

function rowToKeyValue(r: LogRow): KeyValue {
  return { key: r.name, value: r.value, modRevision: r.id, createRevision: rowCreateRevision(r) };
}

export function rowToEvent(r: LogRow): WatchEvent {
  const createRevision = rowCreateRevision(r);
  if (r.created) return { type: 'create', key: r.name, revision: r.id, value: r.value, createRevision };
  return {
    type: r.deleted ? 'delete' : 'update',
    key: r.name,
    revision: r.id,
    value: r.value,
    prevValue: r.old_value ?? undefined,
    prevRevision: r.prev_revision,
    createRevision,
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private rev: number;
  private compacted: number;
  private closed = false;
  private readonly fanout = new WatchFanout();
  private readonly compactor: SqliteCompactor;
  private readonly stmt: {
    latest: Database.Statement<[string], LogRow>;
    insert: Database.Statement<[string, number, number, number, number, string, string | null]>;
    list: Database.Statement<[string, string, number, number], LogRow>;
    count: Database.Statement<[string, string, number], { n: number }>;
    replay: Database.Statement<[number, string, string], LogRow>;
  };

  constructor(opts: SqliteStoreOptions) {
    // A short busy timeout: the only contender is another process holding the exclusive lock.
    const db = new Database(opts.path, { timeout: 100 });
    this.db = db;
    try {
      // Must precede the first table and the switch to WAL to take effect on a new file.
      db.pragma('auto_vacuum = INCREMENTAL');
      // Exclusive before WAL: no shared-memory index, and a second process gets SQLITE_BUSY.
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`cannot enable WAL mode (got ${String(mode)})`);
      db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // After a checkpoint, shrink the WAL file back to this size.
      db.pragma('journal_size_limit = 8388608');
      db.exec(SCHEMA);
    } catch (e) {
      db.close();
      const busy = (e as { code?: string }).code === 'SQLITE_BUSY';
      throw new StorageError('Unavailable', busy ? `sqlite database ${opts.path} is in use by another process` : `cannot open sqlite database ${opts.path}: ${(e as Error).message}`);
    }
    this.stmt = {
      latest: db.prepare('SELECT * FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1'),
      insert: db.prepare(
        'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      list: db.prepare(`SELECT kv.* ${LATEST_IN_RANGE} ORDER BY m.name LIMIT ?`),
      count: db.prepare(`SELECT COUNT(*) AS n ${LATEST_IN_RANGE}`),
      replay: db.prepare('SELECT * FROM kine WHERE id > ? AND name >= ? AND name < ? ORDER BY id'),
    };
    const seq = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").get();
    this.rev = seq?.seq ?? 0;
    const meta = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'compact_revision'").get();
    this.compacted = meta?.value ?? 0;
    this.compactor = new SqliteCompactor(db, {
      batchSize: opts.compactBatchSize ?? 500,
      retainRevisions: opts.retainRevisions ?? 1000,
      intervalMs: opts.compactIntervalMs ?? 5000,
      currentRevision: () => this.rev,
      compactedRevision: () => this.compacted,
      setCompactedRevision: (r) => {
        this.compacted = r;
      },
      onMaintenance: opts.onMaintenance,
      onError: opts.onMaintenanceError,
    });
    this.compactor.start();
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
    const row = this.stmt.latest.get(key);
    return row && !row.deleted ? rowToKeyValue(row) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = this.readRevision(opts.revision);
    const lo = pageStart(prefix, opts.startAfter);
    const hi = prefixEnd(prefix) ?? KEYSPACE_END;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    // One row beyond the page tells whether more follow without a count.
    const rows = this.stmt.list.all(lo, hi, revision, limit > 0 ? limit + 1 : -1);
    const more = limit > 0 && rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const items = page.map(rowToKeyValue);
    let remaining = 0;
    if (more) remaining = this.stmt.count.get(items[items.length - 1]!.key + '\0', hi, revision)!.n;
    return { items, revision, more, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.stmt.count.get(prefix, prefixEnd(prefix) ?? KEYSPACE_END, this.rev)!.n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    const cur = this.stmt.latest.get(key);
    if (cur && !cur.deleted) throw keyExistsError(key);
    const row = this.append(key, 1, 0, 0, cur?.id ?? 0, value, null);
    return rowToKeyValue(row);
  }

  async update(key: string, value: string, ifModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const cur = this.stmt.latest.get(key);
    if (!cur || cur.deleted) throw keyNotFoundError(key);
    if (cur.id !== ifModRevision) throw conflictError(key, rowToKeyValue(cur), ifModRevision);
    const row = this.append(key, 0, 0, rowCreateRevision(cur), cur.id, value, cur.value);
    return rowToKeyValue(row);
  }

  async delete(key: string, ifModRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    this.checkOpen();
    const cur = this.stmt.latest.get(key);
    if (!cur || cur.deleted) throw keyNotFoundError(key);
    if (ifModRevision !== undefined && cur.id !== ifModRevision) throw conflictError(key, rowToKeyValue(cur), ifModRevision);
    const row = this.append(key, 0, 1, rowCreateRevision(cur), cur.id, cur.value, cur.value);
    return { prev: rowToKeyValue(cur), revision: row.id };
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): WatchHandle {
    if (this.closed) return this.fanout.failed(prefix, cb, closedError());
    if (fromRevision < this.compacted) return this.fanout.failed(prefix, cb, compactedError(fromRevision, this.compacted));
    // Rows above the compacted revision are all intact, so the replay has no gaps.
    const replay =
      fromRevision >= this.rev ? [] : this.stmt.replay.all(fromRevision, prefix, prefixEnd(prefix) ?? KEYSPACE_END).map(rowToEvent);
    return this.fanout.add(prefix, cb, replay);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    await this.compactor.compact(Math.min(revision, this.rev));
  }

  /**
   * One maintenance pass now: compact to (current - retainRevisions), release free pages and
   * truncate the WAL. The background loop runs the same pass.
   */
  async maintain(): Promise<MaintenanceResult> {
    this.checkOpen();
    return this.compactor.maintain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compactor.stop();
    this.fanout.closeAll(closedError());
    this.db.close();
  }

  private append(
    name: string, created: number, deleted: number, createRevision: number, prevRevision: number, value: string, oldValue: string | null,
  ): LogRow {
    // A single INSERT is one implicit transaction: one WAL commit per write.
    const info = this.stmt.insert.run(name, created, deleted, createRevision, prevRevision, value, oldValue);
    const id = Number(info.lastInsertRowid);
    this.rev = id;
    const row: LogRow = {
      id, name, created, deleted, create_revision: createRevision, prev_revision: prevRevision, value, old_value: oldValue,
    };
    if (this.fanout.size > 0) this.fanout.publish([rowToEvent(row)]);
    return row;
  }

  private readRevision(requested: number | undefined): number {
    if (!requested || requested <= 0) return this.rev;
    if (requested < this.compacted) throw compactedError(requested, this.compacted);
    if (requested > this.rev) throw futureRevisionError(requested, this.rev);
    return requested;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}
