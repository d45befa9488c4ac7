/**
 * Writes a container's stdout and stderr into one log file in the CRI log format
 * (`<RFC3339 time, 9 fraction digits, UTC> <stdout|stderr> <P|F> <content>\n`) and rotates it.
 *
 * Line splitting follows containerd's CRI logger (internal/cri/io/logger.go): a record per line
 * with the newline (and a `\r` right before it) dropped; a line longer than the limit (16 KiB) is
 * cut into `P` records of exactly the limit followed by an `F` record with the rest; output that
 * ends without a newline is written as a `P` record when its stream ends. Nothing is flushed on a
 * timer, so a line appears once it is complete.
 *
 * Rotation follows the kubelet's container log manager: once the live file would grow past
 * `maxBytes` it is renamed to `<path>.<UTC YYYYMMDD-HHMMSS>` (plus `.N` when that name is taken)
 * and a new file is started; at most `maxFiles` files are kept, the live one included, the oldest
 * rotated ones deleted first. The log reader (cri-log-reader.ts) relies on exactly this naming.
 */
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type LogStream = 'stdout' | 'stderr';

/** The kubelet's and containerd's limit on one record's content. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

export interface CriRecord {
  tag: 'P' | 'F';
  content: Buffer;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Splits one stream's raw output into CRI records; holds an unfinished line until more arrives. */
export class CriLineSplitter {
  private pending: Buffer[] = [];
  private length = 0;

  constructor(private readonly maxLen = MAX_LOG_LINE_BYTES) {}

  /** Records completed by `chunk`: full lines, and `P` cuts of a line longer than the limit. */
  push(chunk: Buffer): CriRecord[] {
    const out: CriRecord[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.append(chunk.subarray(start, nl));
      let line = this.take();
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      while (line.length > this.maxLen) {
        out.push({ tag: 'P', content: line.subarray(0, this.maxLen) });
        line = line.subarray(this.maxLen);
      }
      out.push({ tag: 'F', content: line });
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.append(chunk.subarray(start));
      // A trailing `\r` may yet turn out to end the line, so it is held back from a cut.
      const held = this.endsWithCR() ? 1 : 0;
      if (this.length - held > this.maxLen) {
        let line = this.take();
        while (line.length - held > this.maxLen) {
          out.push({ tag: 'P', content: line.subarray(0, this.maxLen) });
          line = line.subarray(this.maxLen);
        }
        this.append(line);
      }
    }
    return out;
  }

  /** The stream ended (or is handed over): what is left of an unfinished line becomes `P` records. */
  flush(): CriRecord[] {
    if (this.length === 0) return [];
    let line = this.take();
    const out: CriRecord[] = [];
    while (line.length > this.maxLen) {
      out.push({ tag: 'P', content: line.subarray(0, this.maxLen) });
      line = line.subarray(this.maxLen);
    }
    out.push({ tag: 'P', content: line });
    return out;
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    // Copy: the caller may reuse its buffer.
    this.pending.push(Buffer.from(b));
    this.length += b.length;
  }

  private take(): Buffer {
    const line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.length);
    this.pending = [];
    this.length = 0;
    return line;
  }

  private endsWithCR(): boolean {
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last[last.length - 1] === CR;
  }
}

/** RFC3339 with exactly nine fraction digits in UTC, from nanoseconds since the epoch. */
export function formatCriTimestamp(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const nanos = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${nanos}Z`;
}

/** One CRI log line. */
export function formatCriRecord(epochNs: bigint, stream: LogStream, record: CriRecord): Buffer {
  const head = Buffer.from(`${formatCriTimestamp(epochNs)} ${stream} ${record.tag} `, 'latin1');
  return Buffer.concat([head, record.content, Buffer.from([NEWLINE])], head.length + record.content.length + 1);
}

/** The suffix a rotated file gets: `YYYYMMDD-HHMMSS` in UTC. */
export function rotationTimestamp(epochNs: bigint): string {
  const iso = new Date(Number(epochNs / 1_000_000n)).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

const ROTATED_SUFFIX = /^\.(\d{8}-\d{6})(?:\.(\d+))?$/;

/** Rotated siblings of `base` among `names`, oldest first (timestamp, then `.N`). */
export function rotatedNames(base: string, names: string[]): string[] {
  const found: { name: string; stamp: string; n: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = ROTATED_SUFFIX.exec(name.slice(base.length));
    if (m) found.push({ name, stamp: m[1]!, n: m[2] === undefined ? 0 : Number(m[2]) + 1 });
  }
  found.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n));
  return found.map((f) => f.name);
}

/**
 * The name a rotation renames to: `<base>.<stamp>`, or when a file with that stamp exists,
 * `<base>.<stamp>.N` with N past every existing one, so that names keep sorting oldest first.
 */
export function rotatedName(base: string, stamp: string, taken: Iterable<string>): string {
  const prefix = `${base}.${stamp}`;
  let next = 0;
  for (const name of taken) {
    if (name === prefix) next = Math.max(next, 1);
    else if (name.startsWith(prefix + '.')) {
      const n = name.slice(prefix.length + 1);
      if (/^\d+$/.test(n)) next = Math.max(next, Number(n) + 1);
    }
  }
  return next === 0 ? prefix : `${prefix}.${next}`;
}

/** Wall clock in nanoseconds: sub-millisecond precision from the monotonic clock, never going back. */
export function wallClockNs(): () => bigint {
  let anchorWall = BigInt(Date.now()) * 1_000_000n;
  let anchorMono = process.hrtime.bigint();
  let last = 0n;
  return () => {
    let now = anchorWall + (process.hrtime.bigint() - anchorMono);
    const wall = BigInt(Date.now()) * 1_000_000n;
    // Follow a wall-clock step (NTP) rather than drift away from it.
    if (now - wall > 1_000_000_000n || wall - now > 1_000_000_000n) {
      anchorWall = wall;
      anchorMono = process.hrtime.bigint();
      now = wall;
    }
    if (now <= last) now = last + 1n;
    last = now;
    return now;
  };
}

export interface CriLogWriterOptions {
  /** The live log file. */
  path: string;
  maxBytes?: number;
  maxFiles?: number;
  maxLineBytes?: number;
  /** Nanoseconds since the epoch. */
  now?: () => bigint;
  /** A write or rotation failed; the records concerned are dropped (the container keeps running). */
  onError?: (err: unknown) => void;
}

/**
 * The log file of one container. Writes are queued and applied in order; each returned promise
 * resolves once that data's complete records are on disk (and never rejects: failures go to
 * `onError`).
 */
export class CriLogWriter {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly now: () => bigint;
  private readonly onError: (err: unknown) => void;
  private readonly splitters: Record<LogStream, CriLineSplitter>;
  private handle: FileHandle | undefined;
  private size = 0;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: CriLogWriterOptions) {
    this.path = opts.path;
    this.maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES);
    this.maxFiles = Math.max(1, opts.maxFiles ?? DEFAULT_LOG_MAX_FILES);
    this.now = opts.now ?? wallClockNs();
    this.onError = opts.onError ?? (() => {});
    this.splitters = { stdout: new CriLineSplitter(opts.maxLineBytes), stderr: new CriLineSplitter(opts.maxLineBytes) };
  }

  /** Creates the file (and its directory) if missing; rejects if that is impossible. */
  async open(): Promise<void> {
    await this.enqueue(async () => {
      await this.ensureOpen();
    }, true);
  }

  write(stream: LogStream, chunk: Buffer): Promise<void> {
    return this.records(stream, this.splitters[stream].push(chunk));
  }

  /** The stream ended: an unfinished line is written as a partial record. */
  endStream(stream: LogStream): Promise<void> {
    return this.records(stream, this.splitters[stream].flush());
  }

  /** Flushes unfinished lines as partial records and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return this.tail;
    const pending = [this.endStream('stdout'), this.endStream('stderr')];
    this.closed = true;
    await Promise.all(pending);
    await this.enqueue(async () => {
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    });
  }

  private records(stream: LogStream, records: CriRecord[]): Promise<void> {
    if (records.length === 0 || this.closed) return this.tail;
    const lines = records.map((r) => formatCriRecord(this.now(), stream, r));
    return this.enqueue(() => this.append(lines));
  }

  private enqueue(op: () => Promise<void>, rethrow = false): Promise<void> {
    const run = this.tail.then(op);
    this.tail = run.catch((err) => {
      if (!rethrow) this.onError(err);
    });
    return rethrow ? run : this.tail;
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(path.dirname(this.path), { recursive: true });
    const h = await open(this.path, 'a');
    try {
      this.size = (await h.stat()).size;
    } catch (err) {
      await h.close();
      throw err;
    }
    this.handle = h;
    return h;
  }

  private async append(lines: Buffer[]): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    try {
      let h = await this.ensureOpen();
      for (const line of lines) {
        if (this.size + batchBytes > 0 && this.size + batchBytes + line.length > this.maxBytes) {
          await this.writeAll(h, batch, batchBytes);
          batch = [];
          batchBytes = 0;
          await this.rotate();
          h = await this.ensureOpen();
        }
        batch.push(line);
        batchBytes += line.length;
      }
      await this.writeAll(h, batch, batchBytes);
    } catch (err) {
      // Reopen on the next write: the file or its directory may have been replaced.
      const h = this.handle;
      this.handle = undefined;
      await h?.close().catch(() => {});
      throw err;
    }
  }

  private async writeAll(h: FileHandle, batch: Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await h.write(data, off, data.length - off);
      off += bytesWritten;
      this.size += bytesWritten;
    }
  }

  private async rotate(): Promise<void> {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path);
    const h = this.handle;
    this.handle = undefined;
    this.size = 0;
    await h?.close();
    const names = await readdir(dir);
    const target = rotatedName(base, rotationTimestamp(this.now()), names);
    try {
      await rename(this.path, path.join(dir, target));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const rotated = rotatedNames(base, [...names, target]);
    const excess = rotated.length - (this.maxFiles - 1);
    for (const name of rotated.slice(0, Math.max(0, excess))) {
      await unlink(path.join(dir, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
