/**
 * Carries a container's output from its FIFOs into its CRI log. Each stream goes through a FIFO
 * in the container's state directory: the container holds it open read-write, so it never gets
 * EPIPE while no runtime reads (its writes block once the pipe is full), and a runtime instance
 * reads it without blocking a thread (a non-blocking read end wrapped in a net.Socket; a file
 * read stream on a FIFO would hold a libuv pool thread). The stream ends once every process of
 * the container has closed it. A new runtime instance opens the same FIFOs and goes on appending.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import type { CriLogWriter, LogStream } from '../../logs/cri-log-writer.js';

const execFileAsync = promisify(execFile);

export const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

/**
 * Creates FIFOs (Node has no mkfifo, and each spawn costs the agent a fork). Requests made in the
 * same turn of the event loop share one `mkfifo`, so a hundred containers created at once cost a
 * few spawns rather than a hundred; when the shared call fails, each request is retried alone so
 * that one bad path does not fail the others.
 */
export function makeFifos(files: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    pendingFifos.push({ files, resolve, reject });
    if (pendingFifos.length === 1) setImmediate(flushFifos);
  });
}

interface FifoRequest {
  files: string[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

let pendingFifos: FifoRequest[] = [];

function flushFifos(): void {
  const batch = pendingFifos;
  pendingFifos = [];
  const mkfifo = (files: string[]) => execFileAsync('mkfifo', ['-m', '600', ...files]);
  mkfifo(batch.flatMap((r) => r.files)).then(
    () => batch.forEach((r) => r.resolve()),
    () => {
      if (batch.length === 1) return void mkfifo(batch[0].files).then(batch[0].resolve, batch[0].reject);
      // mkfifo makes what it can before failing: retry each request alone, accepting FIFOs made already.
      for (const r of batch) void makeEach(r.files).then(r.resolve, r.reject);
    },
  );
}

async function makeEach(files: string[]): Promise<void> {
  const missing = [];
  for (const f of files) {
    const st = await lstat(f).catch(() => undefined);
    if (!st?.isFIFO()) missing.push(f);
  }
  if (missing.length) await execFileAsync('mkfifo', ['-m', '600', ...missing]);
}

/** The container's end of a FIFO (read-write, so a write never fails for want of a reader). */
export function openContainerEnd(file: string): number {
  return openSync(file, constants.O_RDWR);
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export class LogPump {
  /** Resolves once every stream ended and its records are written, or the pump was closed. */
  readonly done: Promise<void>;
  private readonly sockets: { stream: LogStream; socket: net.Socket }[] = [];
  private readonly pending = new Set<Promise<void>>();
  private finished = false;
  private resolveDone!: () => void;

  /**
   * Starts reading `fifos` now. Open the container's ends first: a FIFO without a writer reads
   * as ended at once.
   */
  constructor(
    fifos: Record<LogStream, string>,
    private readonly writer: CriLogWriter | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    this.done = new Promise<void>((r) => (this.resolveDone = r));
    let open = STREAMS.length;
    const ended = () => {
      if (--open === 0) void this.finish();
    };
    for (const stream of STREAMS) {
      let socket: net.Socket;
      try {
        const fd = openSync(fifos[stream], constants.O_RDONLY | constants.O_NONBLOCK);
        socket = new net.Socket({ fd, readable: true, writable: false });
      } catch (err) {
        this.onError(err);
        ended();
        continue;
      }
      this.sockets.push({ stream, socket });
      let streamEnded = false;
      const end = () => {
        if (streamEnded) return;
        streamEnded = true;
        if (this.writer) this.track(this.writer.endStream(stream));
        ended();
      };
      socket.on('data', (chunk: Buffer) => {
        if (!this.writer) return;
        socket.pause();
        this.track(
          this.writer.write(stream, chunk).then(() => {
            socket.resume();
          }),
        );
      });
      socket.on('end', end);
      socket.on('error', (err) => {
        this.onError(err);
        end();
      });
      socket.on('close', end);
    }
  }

  /** Stops reading, leaving the FIFOs to a successor; what was read is written out. */
  async close(): Promise<void> {
    if (this.finished) return this.done;
    this.finished = true;
    for (const { stream, socket } of this.sockets) {
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.removeAllListeners('end');
      socket.on('error', () => {});
      // A paused socket may hold chunks it already read from the pipe: they are written, not lost.
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) if (this.writer) this.track(this.writer.write(stream, chunk));
      socket.destroy();
    }
    await this.settle();
    await this.writer?.close();
    this.resolveDone();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.settle();
    await this.writer?.close();
    this.resolveDone();
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
