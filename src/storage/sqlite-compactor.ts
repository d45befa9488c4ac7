/**
 * Compaction and file-size maintenance for SqliteStore (the approach of kine's
 * pkg/logstructured/sqllog/sql.go compactor, in small batches).
 *
 * Compacting to R walks the log rows in (compacted, R] by id, a batch per transaction, and for
 * each row s deletes the row it superseded (s.prev_revision) and, if s is a delete marker, s
 * itself. After a batch ending at row X the table is exactly "compacted at X" and the compacted
 * revision is persisted with the batch, so a crash leaves a consistent state. Between batches
 * the event loop runs, so writes and reads are never blocked for more than one batch.
 *
 * Size: freed pages are returned to the filesystem by incremental vacuum (the file is created
 * with auto_vacuum=INCREMENTAL), and the WAL is truncated by a TRUNCATE checkpoint. With keys
 * rewritten forever, the file then stays proportional to live data + retained history.
 */
import type Database from 'better-sqlite3';

export interface MaintenanceResult {
  compactedRevision: number;
  /** Log rows removed by this pass. */
  deletedRows: number;
  /** Pages returned to the filesystem by incremental vacuum. */
  vacuumedPages: number;
}

export interface SqliteCompactorOptions {
  batchSize: number;
  retainRevisions: number;
  /** 0 disables the background loop. */
  intervalMs: number;
  currentRevision(): number;
  compactedRevision(): number;
  setCompactedRevision(rev: number): void;
  onMaintenance?: ((r: MaintenanceResult) => void) | undefined;
  onError?: ((err: unknown) => void) | undefined;
}

/** Pages released per incremental_vacuum step; steps are separated by yields. */
const VACUUM_STEP_PAGES = 1024;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SqliteCompactor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Serialises compaction passes (background loop and explicit compact calls). */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly batch: Database.Statement<[number, number, number], { id: number; prev_revision: number; deleted: number }>;
  private readonly deleteRow: Database.Statement<[number]>;
  private readonly saveCompacted: Database.Statement<[number]>;
  private readonly applyBatch: (rows: { id: number; prev_revision: number; deleted: number }[], upTo: number) => number;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: SqliteCompactorOptions,
  ) {
    this.batch = db.prepare('SELECT id, prev_revision, deleted FROM kine WHERE id > ? AND id <= ? ORDER BY id LIMIT ?');
    this.deleteRow = db.prepare('DELETE FROM kine WHERE id = ?');
    this.saveCompacted = db.prepare("INSERT INTO meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.applyBatch = db.transaction((rows, upTo: number) => {
      let deleted = 0;
      for (const r of rows) {
        if (r.prev_revision > 0) deleted += this.deleteRow.run(r.prev_revision).changes;
        if (r.deleted) deleted += this.deleteRow.run(r.id).changes;
      }
      this.saveCompacted.run(upTo);
      return deleted;
    });
  }

  start(): void {
    if (this.opts.intervalMs > 0 && !this.stopped) this.schedule();
  }

  /** Stops the loop and waits for a running pass to reach a batch boundary. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  /** Compacts to `revision` (no-op if already compacted that far). */
  compact(revision: number): Promise<number> {
    return this.enqueue(() => this.compactTo(revision));
  }

  maintain(): Promise<MaintenanceResult> {
    return this.enqueue(async () => {
      const target = this.opts.currentRevision() - this.opts.retainRevisions;
      const deletedRows = target > this.opts.compactedRevision() ? await this.compactTo(target) : 0;
      const vacuumedPages = await this.vacuum();
      if (!this.stopped) this.db.pragma('wal_checkpoint(TRUNCATE)');
      return { compactedRevision: this.opts.compactedRevision(), deletedRows, vacuumedPages };
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.maintain().then(
        (r) => this.opts.onMaintenance?.(r),
        (err) => this.opts.onError?.(err),
      ).finally(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  private async compactTo(target: number): Promise<number> {
    let cursor = this.opts.compactedRevision();
    let deleted = 0;
    while (cursor < target && !this.stopped) {
      const rows = this.batch.all(cursor, target, this.opts.batchSize);
      const upTo = rows.length < this.opts.batchSize ? target : rows[rows.length - 1]!.id;
      deleted += this.applyBatch(rows, upTo);
      cursor = upTo;
      this.opts.setCompactedRevision(upTo);
      if (cursor < target) await yieldToEventLoop();
    }
    return deleted;
  }

  private async vacuum(): Promise<number> {
    let freed = 0;
    while (!this.stopped) {
      const free = this.db.pragma('freelist_count', { simple: true }) as number;
      if (free === 0) break;
      this.db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`);
      freed += Math.min(free, VACUUM_STEP_PAGES);
      if (free <= VACUUM_STEP_PAGES) break;
      await yieldToEventLoop();
    }
    return freed;
  }
}
