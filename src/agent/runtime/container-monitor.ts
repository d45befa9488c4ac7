/**
 * Watches the running containers of a host runtime (process or sandbox) until they exit, and
 * records each exit once: the container's init (the /bin/sh wrapper of exit-status.ts) is gone
 * when its parent saw it end (the process runtime's own children) or when polling /proc finds it
 * gone (adopted containers, and every runc container). Then the container's output drains into
 * its log, the exit file, the runtime's kill marker and (with cgroups) the OOM counter decide the
 * outcome (container-transitions.ts), the record is saved and the runtime's events hear of it.
 *
 * It also owns the log pumps that carry each running container's output into its CRI log, and
 * the stop protocol the CRI asks for: SIGTERM, a grace period, then SIGKILL (the marker written
 * first says the runtime killed it).
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { CriLogWriter } from '../logs/cri-log-writer.js';
import type { ContainerTable } from './container-table.js';
import { exitOutcome, markExited, markRunning } from './container-transitions.js';
import { LogPump } from './process/log-pump.js';
import { liveness, type ProcessIdentity } from './process/proc.js';
import { containerStatus, type ContainerRecord } from './process/state-store.js';
import { RuntimeError, type RuntimeEvents } from './runtime.js';

/** How long an exited container's output may still drain before its exit is reported. */
const DRAIN_MS = 2000;
/** How long a SIGKILLed container may take to be reaped before a stop gives up. */
const KILL_WAIT_MS = 10_000;

export interface ContainerMonitorOptions {
  table: ContainerTable;
  events?: RuntimeEvents;
  /** Rotate a container's log past this size. */
  logMaxBytes?: number;
  /** Log files kept per container, the live one included. */
  logMaxFiles?: number;
  /** How often containers whose end no child event tells are checked for their exit. */
  pollIntervalMs: number;
  /** How often a stop checks whether the container is gone. */
  stopCheckMs: number;
  /** The file the container's wrapper writes its exit status to. */
  exitFile: (id: string) => string;
  /** Sends a signal to the container (its init and what it started). */
  signal: (rec: ContainerRecord, signal: 'SIGTERM' | 'SIGKILL') => Promise<void>;
  /** Runs as soon as the container's init is gone, before its exit is read. */
  initGone?: (rec: ContainerRecord) => void;
  /** OOM kills counted in the container's cgroup (runtimes with cgroups). */
  oomKills?: (rec: ContainerRecord) => Promise<number>;
}

/** A running container being watched. */
interface Watch {
  /** The wrapper, when this instance started it as its child (else its exit is found by polling). */
  child?: ChildProcess;
  wrapperExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set once the wrapper is gone; resolves when the exit is recorded. */
  finalizing?: Promise<void>;
  gone: Promise<void>;
  markGone: () => void;
}

export class ContainerMonitor {
  private readonly table: ContainerTable;
  private readonly watches = new Map<string, Watch>();
  private readonly pumps = new Map<string, LogPump>();
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ContainerMonitorOptions) {
    this.table = opts.table;
  }

  /** The writer of the container's CRI log (rotating as configured). */
  logWriter(rec: ContainerRecord): CriLogWriter {
    return new CriLogWriter({ path: rec.logPath, maxBytes: this.opts.logMaxBytes, maxFiles: this.opts.logMaxFiles, onError: (err) => this.table.logError(rec, 'log', err) });
  }

  /** A pump from the container's FIFOs into `writer` (none: the output is read and dropped). */
  logPump(rec: ContainerRecord, writer: CriLogWriter | undefined): LogPump {
    const store = this.table.store;
    return new LogPump({ stdout: store.fifoPath(rec.id, 'stdout'), stderr: store.fifoPath(rec.id, 'stderr') }, writer, (err) => this.table.logError(rec, 'log', err));
  }

  /** Removes what an earlier run of the container left: its exit file and kill marker. */
  async clearExit(id: string): Promise<void> {
    await unlink(this.opts.exitFile(id)).catch(() => {});
    await unlink(this.table.store.killedMarker(id)).catch(() => {});
  }

  /**
   * The container's init runs as `process`, its output through `pump`: marks it running and
   * watches it (through `child`'s exit when this instance is its parent, else by polling), then
   * saves the record. Everything before the save happens at once, so no exit event is missed.
   */
  started(rec: ContainerRecord, process: ProcessIdentity, pump: LogPump, child?: ChildProcess): Promise<void> {
    markRunning(rec, process, Date.now());
    const watch = this.watch(rec.id);
    this.pumps.set(rec.id, pump);
    if (child) {
      watch.child = child;
      child.on('error', (err) => this.table.logError(rec, 'process', err));
      child.on('exit', (code, signal) => {
        if (this.table.closed) return;
        watch.wrapperExit = { code, signal };
        void this.finalize(rec.id);
      });
    } else {
      this.ensurePoller();
    }
    return this.table.save(rec);
  }

  /** For a runtime re-reading its state: re-adopts running containers that still run, records how the others ended. */
  async adopt(containers: ContainerRecord[]): Promise<void> {
    for (const c of containers) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      this.watch(c.id);
      if (c.process && (await liveness(c.process)) === 'alive') {
        this.pumps.set(c.id, this.logPump(c, c.logPath ? this.logWriter(c) : undefined));
        this.table.log.info('re-adopted container', { id: c.id, name: c.config.metadata.name, pid: c.process.pid });
      } else {
        await this.finalize(c.id);
      }
    }
    if (this.watches.size > 0) this.ensurePoller();
  }

  /** StopContainer: SIGTERM and `timeoutSeconds` to exit (none when 0), then SIGKILL; resolves once the exit is recorded. */
  async stop(rec: ContainerRecord, timeoutSeconds: number): Promise<void> {
    if (rec.state !== 'CONTAINER_RUNNING' || !rec.process) return;
    const id = rec.id;
    const watch = this.watch(id);
    if (timeoutSeconds > 0) {
      await this.opts.signal(rec, 'SIGTERM');
      await this.waitGone(id, watch, timeoutSeconds * 1000);
    }
    if (!watch.finalizing && !this.table.closed) {
      await writeFile(this.table.store.killedMarker(id), '').catch((err) => this.table.logError(rec, 'state', err));
      await this.opts.signal(rec, 'SIGKILL');
      await this.waitGone(id, watch, KILL_WAIT_MS);
    }
    if (!watch.finalizing && this.table.closed) throw new RuntimeError('Unavailable', `the ${this.table.runtimeName} runtime was closed while stopping a container`);
    if (!watch.finalizing) throw new RuntimeError('Unavailable', `container "${rec.config.metadata.name}" (${id}) did not exit after SIGKILL`);
    await watch.finalizing;
  }

  /** Stops reading the container's output (it is being removed). */
  async release(id: string): Promise<void> {
    await this.pumps.get(id)?.close();
    this.pumps.delete(id);
  }

  /** Stops watching; the containers keep running for the next instance to adopt. */
  async close(): Promise<void> {
    clearInterval(this.poller);
    for (const w of this.watches.values()) {
      w.child?.removeAllListeners('exit');
      w.child?.unref();
      w.markGone();
    }
    await Promise.all([...this.pumps.values()].map((p) => p.close()));
    this.pumps.clear();
  }

  private watch(id: string): Watch {
    let w = this.watches.get(id);
    if (!w) {
      let markGone!: () => void;
      const gone = new Promise<void>((r) => (markGone = r));
      w = { gone, markGone };
      this.watches.set(id, w);
    }
    return w;
  }

  private ensurePoller(): void {
    if (this.poller || this.table.closed) return;
    this.poller = setInterval(() => void this.poll(), this.opts.pollIntervalMs);
    this.poller.unref();
  }

  private async poll(): Promise<void> {
    for (const [id, w] of this.watches) {
      if (w.child || w.finalizing) continue;
      await this.check(id);
    }
  }

  /** Finalizes the container if its init is gone. */
  private async check(id: string): Promise<void> {
    const rec = this.table.container(id);
    if (!rec || this.table.closed) return;
    if (!rec.process || (await liveness(rec.process)) === 'gone') void this.finalize(id);
  }

  /** Waits up to `ms` for the container's init to be gone. */
  private async waitGone(id: string, w: Watch, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!w.finalizing && !this.table.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([w.gone, new Promise<void>((r) => (timer = setTimeout(r, Math.min(left, this.opts.stopCheckMs))))]);
      clearTimeout(timer);
      if (!w.child) await this.check(id);
    }
  }

  /** Records the exit of a container whose init is gone, once. */
  private finalize(id: string): Promise<void> {
    const w = this.watches.get(id);
    const rec = this.table.container(id);
    if (!w || !rec) return Promise.resolve();
    w.markGone();
    w.finalizing ??= this.recordExit(rec, w);
    return w.finalizing;
  }

  private async recordExit(rec: ContainerRecord, w: Watch): Promise<void> {
    this.opts.initGone?.(rec);
    const pump = this.pumps.get(rec.id);
    if (pump) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pump.done, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
    }
    const exitFile = this.opts.exitFile(rec.id);
    const [text, exitStat, killed, oomKills] = await Promise.all([
      readFile(exitFile, 'utf8').catch(() => undefined),
      stat(exitFile).catch(() => undefined),
      stat(this.table.store.killedMarker(rec.id)).then(
        () => true,
        () => false,
      ),
      this.opts.oomKills?.(rec),
    ]);
    markExited(rec, exitOutcome(rec.startedAt, { exitFile: text, exitFileMtimeMs: exitStat?.mtimeMs, wrapperExit: w.wrapperExit, killed, oomKills }, Date.now()));
    this.watches.delete(rec.id);
    if (this.table.holds(rec)) await this.table.save(rec);
    if (!this.table.closed) {
      try {
        this.opts.events?.onContainerExit?.(containerStatus(rec));
      } catch (err) {
        this.table.logError(rec, 'event', err);
      }
    }
  }
}
