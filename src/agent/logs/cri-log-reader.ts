/**
 * Container log reader: what serves `pods/log` from the CRI-format files a runtime writes. It
 * follows the kubelet's ReadLogs (pkg/kubelet/kuberuntime/logs/logs.go) and extends it to the
 * rotated files kept beside the live one, which the kubelet itself does not read.
 *
 * Records are parsed by cri-format.ts. Rotated files are `<path>.<YYYYMMDD-HHMMSS>[.N]`; the
 * files in order are the rotated ones, oldest first, then `<path>`.
 *
 * As in the kubelet:
 * - records are written out one by one: a partial record's content without a newline, a full
 *   record's with one, so partial records join by plain concatenation;
 * - `timestamps` prefixes every record (partial ones included) with its own time in the
 *   fixed-width RFC3339Nano form (9 fractional digits) and a space;
 * - `tailLines` counts newline-terminated records, partial ones included, and is applied before
 *   `sinceTime`; an unterminated record at the end of the live file is not part of the tail;
 * - `limitBytes` cuts the output at exactly that many bytes, timestamp prefixes included;
 * - malformed records are skipped.
 * `stream` (alpha upstream) drops the other stream's records before tail counting and byte limits.
 */
import type { Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type LogStream, type SecondMemo, parseCriRecord } from './cri-format.js';

export type { LogStream } from './cri-format.js';


export interface LogOptions {
  /** Keep streaming new records, across rotations, until the signal aborts or the container is done. */
  follow?: boolean;
  /** Only the last N records (across rotated files too); negative means all. */
  tailLines?: number;
  /** Unix ms: only records at or after this time. */
  sinceTime?: number;
  /** Prefix each record with its timestamp (RFC3339Nano, 9 fractional digits) and a space. */
  timestamps?: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Default `all`. */
  stream?: LogStream | 'all';
}

export interface LogReadControl {
  /** Stops a read (following or not) promptly; the call then resolves. */
  signal?: AbortSignal;
  /** Following ends once this returns true and the data present at that moment was written out. */
  isDone?: () => boolean;
  /** How often a follower looks for new data and rotations; default 200 ms. */
  pollMs?: number;
  /** Called once where the read starts is fixed: whatever is written later will be read (attach connects input then). */
  onPositioned?: () => void;
}

const NL = 0x0a;
const NEWLINE = Buffer.from('\n');
const CHUNK_BYTES = 64 * 1024;
/** Enough of a record to parse its header when scanning backwards. */
const HEAD_BYTES = 128;
/** A run this long without a newline is no record; it is dropped up to the next newline. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
const DEFAULT_POLL_MS = 200;

const ROTATED_SUFFIX = /^\.(\d{8}-\d{6})(?:\.(\d+))?$/;

/** Orders rotated files of `logPath` oldest first (stamp, then `.N`); '' sorts before every name. */
function compareRotatedNames(logPath: string, a: string, b: string): number {
  const base = path.basename(logPath).length;
  const ma = a === '' ? null : ROTATED_SUFFIX.exec(path.basename(a).slice(base));
  const mb = b === '' ? null : ROTATED_SUFFIX.exec(path.basename(b).slice(base));
  if (!ma || !mb) return (ma ? 1 : 0) - (mb ? 1 : 0);
  if (ma[1] !== mb[1]) return ma[1]! < mb[1]! ? -1 : 1;
  return Number(ma[2] ?? 0) - Number(mb[2] ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The rotated files of a container log, as full paths, oldest first. */
export async function listRotatedLogFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const base = path.basename(logPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return names
    .filter((name) => name.startsWith(base) && ROTATED_SUFFIX.test(name.slice(base.length)))
    .map((name) => path.join(dir, name))
    .sort((a, b) => compareRotatedNames(logPath, a, b));
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

interface OpenLog {
  name: string;
  handle: FileHandle;
  dev: number;
  ino: number;
  /** Size when opened. */
  size: number;
}

function sameFile(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Owns every file handle a read opens, so that all are closed however the read ends. */
class OpenLogs {
  private readonly handles = new Set<FileHandle>();

  async open(name: string): Promise<OpenLog | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(name, 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    this.handles.add(handle);
    const st = await handle.stat();
    return { name, handle, dev: st.dev, ino: st.ino, size: st.size };
  }

  async close(log: OpenLog): Promise<void> {
    if (this.handles.delete(log.handle)) await log.handle.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.handles];
    this.handles.clear();
    await Promise.allSettled(all.map((h) => h.close()));
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

/** Splits a byte stream into newline-terminated records, keeping the unterminated rest. */
class RecordSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  push(chunk: Buffer, onRecord: (line: Buffer) => void): void {
    let from = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, from)) {
      const piece = chunk.subarray(from, nl);
      if (this.discarding) this.discarding = false;
      else if (this.size === 0) onRecord(piece);
      else onRecord(Buffer.concat([...this.parts, piece]));
      this.parts = [];
      this.size = 0;
      from = nl + 1;
    }
    if (from >= chunk.length || this.discarding) return;
    if (this.size + chunk.length - from > MAX_RECORD_BYTES) {
      this.parts = [];
      this.size = 0;
      this.discarding = true;
      return;
    }
    this.parts.push(Buffer.from(chunk.subarray(from)));
    this.size += chunk.length - from;
  }

  /** The unterminated rest, if any; the splitter is empty afterwards. */
  takeRest(): Buffer | undefined {
    const rest = this.size > 0 ? Buffer.concat(this.parts) : undefined;
    this.reset();
    return rest;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
    this.discarding = false;
  }
}

/** Applies the options to parsed records and batches the output for the caller's writer. */
class LogOutput {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private remaining: number;
  private readonly memo: SecondMemo = { key: '', unixMs: undefined };
  limitReached = false;

  constructor(
    private readonly opts: LogOptions,
    private readonly write: (chunk: Buffer) => Promise<void> | void,
  ) {
    this.remaining = opts.limitBytes ?? Infinity;
  }

  /** `terminated` is false for a record cut short by the end of a file that no longer grows. */
  record(line: Buffer, terminated: boolean): void {
    if (this.limitReached) return;
    const record = parseCriRecord(line, this.memo);
    if (!record || !streamSelected(this.opts, record.stream)) return;
    if (this.opts.sinceTime !== undefined && record.time.unixMs < this.opts.sinceTime) return;
    if (this.opts.timestamps) this.append(Buffer.from(`${record.time.fixed} `, 'latin1'));
    this.append(record.content);
    if (!record.partial && terminated) this.append(NEWLINE);
  }

  private append(bytes: Buffer): void {
    if (this.limitReached || bytes.length === 0) return;
    const cut = bytes.length >= this.remaining ? bytes.subarray(0, this.remaining) : bytes;
    this.remaining -= cut.length;
    if (this.remaining <= 0) this.limitReached = true;
    this.pending.push(cut);
    this.pendingBytes += cut.length;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = this.pending.length === 1 ? Buffer.from(this.pending[0]!) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.write(chunk);
  }
}

function streamSelected(opts: LogOptions, stream: LogStream): boolean {
  return opts.stream === undefined || opts.stream === 'all' || opts.stream === stream;
}

/** Whether a record (given by its first bytes) counts towards `tailLines`; malformed ones do, as upstream. */
function countsForTail(opts: LogOptions, head: Buffer): boolean {
  if (opts.stream === undefined || opts.stream === 'all') return true;
  const record = parseCriRecord(head);
  return !record || record.stream === opts.stream;
}

function headOf(a: Buffer, b: Buffer): Buffer {
  if (a.length >= HEAD_BYTES || b.length === 0) return a.subarray(0, HEAD_BYTES);
  return Buffer.concat([a, b.subarray(0, HEAD_BYTES - a.length)]);
}

/**
 * Scans [0, end) backwards for up to `want` counted records. The range's last record may lack
 * its newline. Returns how many were found and, when all were, the offset where the earliest starts.
 */
async function scanBackward(
  handle: FileHandle,
  end: number,
  want: number,
  counts: (head: Buffer) => boolean,
): Promise<{ found: number; start: number }> {
  let found = 0;
  let head: Buffer = Buffer.alloc(0); // the first bytes of the record that ends where the scan stands
  let scanEnd = end;
  let first = true;
  while (scanEnd > 0) {
    const from = Math.max(0, scanEnd - CHUNK_BYTES);
    const chunk = await readAt(handle, from, scanEnd - from);
    let i = chunk.length;
    if (first && chunk[i - 1] === NL) i--; // the newline ending the last record
    first = false;
    for (;;) {
      const nl = i > 0 ? chunk.lastIndexOf(NL, i - 1) : -1;
      if (nl < 0) {
        head = headOf(chunk.subarray(0, i), head);
        break;
      }
      if (counts(headOf(chunk.subarray(nl + 1, i), head)) && ++found === want) return { found, start: from + nl + 1 };
      head = Buffer.alloc(0);
      i = nl;
    }
    scanEnd = from;
  }
  if (end > 0 && counts(head)) found++;
  return { found, start: 0 };
}

/** The offset just past the last newline in [0, size), or 0. */
async function endOfLastRecord(handle: FileHandle, size: number): Promise<number> {
  for (let scanEnd = size; scanEnd > 0; ) {
    const from = Math.max(0, scanEnd - CHUNK_BYTES);
    const chunk = await readAt(handle, from, scanEnd - from);
    const nl = chunk.lastIndexOf(NL);
    if (nl >= 0) return from + nl + 1;
    scanEnd = from;
  }
  return 0;
}

/**
 * Reads [from, to) of a file into the output (`to` undefined: up to the end of file). Returns the
 * offset reached; the splitter keeps an unterminated rest.
 */
async function readRange(
  log: OpenLog,
  from: number,
  to: number | undefined,
  splitter: RecordSplitter,
  out: LogOutput,
  signal: AbortSignal | undefined,
): Promise<number> {
  let offset = from;
  const onRecord = (line: Buffer) => out.record(line, true);
  while ((to === undefined || offset < to) && !out.limitReached && !signal?.aborted) {
    const length = to === undefined ? CHUNK_BYTES : Math.min(CHUNK_BYTES, to - offset);
    const chunk = await readAt(log.handle, offset, length);
    if (chunk.length === 0) break;
    offset += chunk.length;
    splitter.push(chunk, onRecord);
    await out.flush();
  }
  return offset;
}

/** Reads a whole range of a file that no longer grows, its unterminated rest included. */
async function readClosedRange(log: OpenLog, from: number, to: number | undefined, out: LogOutput, signal: AbortSignal | undefined): Promise<void> {
  const splitter = new RecordSplitter();
  await readRange(log, from, to, splitter, out, signal);
  finishRest(splitter, out);
  await out.flush();
}

function finishRest(splitter: RecordSplitter, out: LogOutput): void {
  const rest = splitter.takeRest();
  if (rest) out.record(rest, false);
}

/**
 * Opens the rotated files and the live one. If the live file is rotated while the rotated ones
 * are listed, it appears among them and the new live file is opened instead.
 */
async function openLogSet(logPath: string, files: OpenLogs): Promise<{ rotated: OpenLog[]; live?: OpenLog; lastRotated: string }> {
  let live = await files.open(logPath);
  const names = await listRotatedLogFiles(logPath);
  const rotated: OpenLog[] = [];
  for (const name of names) {
    const log = await files.open(name);
    if (log) rotated.push(log);
  }
  for (let attempt = 0; live && rotated.some((r) => sameFile(r, live!)); attempt++) {
    await files.close(live);
    live = attempt === 0 ? await files.open(logPath) : undefined;
  }
  return { rotated, live, lastRotated: names.at(-1) ?? '' };
}

interface FollowedLog {
  log: OpenLog;
  offset: number;
  splitter: RecordSplitter;
}

/**
 * Streams the live file as it grows. When `logPath` names another file than the one followed,
 * the followed one was rotated: it is read to its end, then every file rotated after it, then the
 * new live file from its start, so that nothing is lost or repeated.
 */
class LogFollower {
  constructor(
    private readonly logPath: string,
    private readonly files: OpenLogs,
    private readonly out: LogOutput,
    private readonly signal: AbortSignal | undefined,
    private current: FollowedLog | undefined,
    /** The newest rotated file already read (or deliberately skipped); '' for none. */
    private lastRotated: string,
  ) {}

  async poll(): Promise<void> {
    if (this.current) await this.readNew(this.current);
    const st = await statIfExists(this.logPath);
    if (this.current && st && sameFile(st, this.current.log)) return;
    // Opened before listing, so that a rotation in between shows up in the listing.
    const next = st ? await this.files.open(this.logPath) : undefined;
    const names = (await listRotatedLogFiles(this.logPath)).filter((n) => compareRotatedNames(this.logPath, n, this.lastRotated) > 0);
    if (!this.current && !next && names.length === 0) return;
    const rotated: OpenLog[] = [];
    for (const name of names) {
      const log = await this.files.open(name);
      if (log) rotated.push(log);
    }
    const previous = this.current;
    this.current = undefined;
    if (previous) {
      await this.readNew(previous);
      finishRest(previous.splitter, this.out);
      await this.out.flush();
      await this.files.close(previous.log);
    }
    const at = previous ? rotated.findIndex((r) => sameFile(r, previous.log)) : -1;
    for (const [i, log] of rotated.entries()) {
      if (i > at) await readClosedRange(log, 0, undefined, this.out, this.signal);
      await this.files.close(log);
    }
    if (names.length > 0) this.lastRotated = names.at(-1)!;
    if (next && rotated.some((r) => sameFile(r, next))) {
      // Rotated already and read above; the next poll opens its successor.
      await this.files.close(next);
    } else if (next) {
      this.current = { log: next, offset: 0, splitter: new RecordSplitter() };
      await this.readNew(this.current);
    }
  }

  /** Ends following: what the live file holds, an unterminated last record included, is written. */
  async finish(): Promise<void> {
    if (!this.current) return;
    finishRest(this.current.splitter, this.out);
    await this.out.flush();
  }

  private async readNew(followed: FollowedLog): Promise<void> {
    const { size } = await followed.log.handle.stat();
    if (size < followed.offset) {
      // Truncated in place: start again from its beginning.
      followed.offset = 0;
      followed.splitter.reset();
    }
    followed.offset = await readRange(followed.log, followed.offset, size, followed.splitter, this.out, this.signal);
  }
}

async function statIfExists(name: string): Promise<Stats | undefined> {
  try {
    return await stat(name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Writes a container's log, as selected by `opts`, through `write`. A missing log is no error:
 * without `follow` nothing is written; with it, the reader waits for the file to appear. Resolves
 * when done, when the byte limit is reached, or when `ctl.signal` aborts; rejects on I/O errors
 * and on errors thrown by `write`.
 */
export async function readContainerLogs(
  logPath: string,
  opts: LogOptions,
  write: (chunk: Buffer) => Promise<void> | void,
  ctl: LogReadControl = {},
): Promise<void> {
  const { signal } = ctl;
  if (signal?.aborted || (opts.limitBytes !== undefined && opts.limitBytes <= 0)) return;
  const out = new LogOutput(opts, write);
  const files = new OpenLogs();
  try {
    const { rotated, live, lastRotated } = await openLogSet(logPath, files);
    const all = live ? [...rotated, live] : rotated;
    const tail = opts.tailLines !== undefined && opts.tailLines >= 0 ? opts.tailLines : undefined;
    // The live file's complete records end here; a record still being written is not tailed.
    const liveEnd = live && tail !== undefined ? await endOfLastRecord(live.handle, live.size) : live?.size;
    const endOf = (log: OpenLog) => (log === live ? liveEnd! : log.size);

    let start = { index: 0, offset: 0 };
    if (tail === 0) {
      start = { index: all.length, offset: 0 };
      if (live) start = { index: all.length - 1, offset: liveEnd! };
    } else if (tail !== undefined) {
      let found = 0;
      for (let i = all.length - 1; i >= 0; i--) {
        const scan = await scanBackward(all[i]!.handle, endOf(all[i]!), tail - found, (head) => countsForTail(opts, head));
        found += scan.found;
        if (found === tail) {
          start = { index: i, offset: scan.start };
          break;
        }
      }
    }
    ctl.onPositioned?.();

    let liveOffset = 0;
    for (let i = start.index; i < all.length && !out.limitReached && !signal?.aborted; i++) {
      const log = all[i]!;
      const from = i === start.index ? start.offset : 0;
      if (log === live && opts.follow) liveOffset = from;
      else await readClosedRange(log, from, log === live && tail !== undefined ? liveEnd : log.size, out, signal);
    }
    if (!opts.follow || out.limitReached || signal?.aborted) return;

    // Rotated files before the tail's start count as read, so the follower does not revisit them.
    const current = live ? { log: live, offset: liveOffset, splitter: new RecordSplitter() } : undefined;
    const follower = new LogFollower(logPath, files, out, signal, current, lastRotated);
    const pollMs = ctl.pollMs ?? DEFAULT_POLL_MS;
    while (!signal?.aborted && !out.limitReached) {
      const done = ctl.isDone?.() === true;
      await follower.poll();
      if (done) {
        await follower.finish();
        break;
      }
      await delay(pollMs, undefined, { signal }).catch(() => undefined); // rejects only on abort
    }
    await out.flush();
  } finally {
    await files.closeAll();
  }
}
