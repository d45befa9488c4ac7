/**
 * The `process` container runtime: each container is a host process in a session of its own
 * (so that a stop signals everything it started), sharing the host's filesystem and network.
 * Sandboxes are bookkeeping only. Everything the runtime knows lives under `rootDir`
 * (state-store.ts), and containers keep running when the runtime closes: a new instance on the
 * same directory re-adopts them, goes on writing their logs (log-pump.ts) and reads their exit
 * status from the file their wrapper leaves (exit-status.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CriLogWriter } from '../../logs/cri-log-writer.js';
import type { Logger } from '../../../util/logger.js';
import {
  RuntimeError,
  type ContainerAttachment,
  type ContainerConfig,
  type ContainerRuntime,
  type ContainerStatsSource,
  type ContainerStatus,
  type ExecProcess,
  type ExecResult,
  type ExecStreamOptions,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type RuntimeEvents,
} from '../runtime.js';
import { containerEnvironment, containerWorkingDir, resolveExecutable, workingDirError } from './container-env.js';
import { runExecSync } from './exec-sync.js';
import type { PodNetwork } from '../../network/pod-network.js';
import { attachSandboxNetwork, checkSandboxNetworks, detachSandboxNetwork, netnsPrefix } from '../sandbox-network.js';
import { scriptArgs, startHostExec } from '../../streaming/host-exec.js';
import { decideExit, wrapperArgv } from './exit-status.js';
import { closeFd, LogPump, makeFifos, openContainerEnd, STREAMS } from './log-pump.js';
import { identify, liveness, signalGroup } from './proc.js';
import { fifoAttachment, hasStdinPipe, openContainerStdin, STDIN_CLOSE_FIFO, STDIN_FIFO } from './stdin-pipe.js';
import { StateStore, containerStatus, errorMessage, newId, sandboxStatus, type ContainerRecord, type SandboxRecord } from './state-store.js';

export const PROCESS_RUNTIME_VERSION = '0.1.0';

export interface ProcessRuntimeOptions {
  rootDir: string;
  /** Rotate a container's log past this size (default 10 MiB). */
  logMaxBytes?: number;
  /** Log files kept per container, the live one included (default 5). */
  logMaxFiles?: number;
  events?: RuntimeEvents;
  logger?: Logger;
  /** How often a container this instance did not start is checked for its exit (default 500 ms). */
  pollIntervalMs?: number;
  /** Bridge mode: sandboxes that do not share the node's network get their own; containers run in it. */
  network?: PodNetwork;
}

/** Exit code and reason containerd gives a container whose start failed. */
const START_ERROR = { exitCode: 128, reason: 'StartError' } as const;
/** How long an exited container's output may still drain before its exit is reported. */
const DRAIN_MS = 2000;
/** How long a SIGKILLed container may take to be reaped before stopContainer gives up. */
const KILL_WAIT_MS = 10_000;

/** A running container this instance watches. */
interface Watch {
  /** The wrapper, when this instance started it (else its exit is found by polling). */
  child?: ChildProcess;
  wrapperExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set once the wrapper is gone; resolves when the exit is recorded. */
  finalizing?: Promise<void>;
  gone: Promise<void>;
  markGone: () => void;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly honoursMounts = false;
  readonly enforcesResources = false;
  private readonly store: StateStore;
  private readonly log: Logger;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly watches = new Map<string, Watch>();
  private readonly pumps = new Map<string, LogPump>();
  private readonly starting = new Set<string>();
  private loading: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: ProcessRuntimeOptions) {
    this.store = new StateStore(opts.rootDir);
    this.log = opts.logger ?? silentLogger;
  }

  version(): { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string } {
    return { runtimeName: 'capstan-process', runtimeVersion: PROCESS_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ready();
    const rec: SandboxRecord = { id: newId(), config: structuredClone(config), state: 'SANDBOX_READY', createdAt: Date.now() };
    await attachSandboxNetwork(this.opts.network, rec);
    try {
      await this.persist(() => this.store.saveSandbox(rec), `cannot record pod sandbox ${config.metadata.namespace}/${config.metadata.name}`);
    } catch (err) {
      await detachSandboxNetwork(this.opts.network, rec).catch(() => {});
      throw err;
    }
    this.sandboxes.set(rec.id, rec);
    return rec.id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.ready();
    await Promise.all(this.containersOf(id).map((c) => this.stopContainer(c.id, 0)));
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    const released = await detachSandboxNetwork(this.opts.network, rec);
    if (rec.state === 'SANDBOX_NOTREADY' && !released) return;
    rec.state = 'SANDBOX_NOTREADY';
    await this.persist(() => this.store.saveSandbox(rec), `cannot record pod sandbox ${id}`);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.ready();
    await Promise.all(this.containersOf(id).map((c) => this.removeContainer(c.id)));
    const rec = this.sandboxes.get(id);
    if (!rec) return;
    await detachSandboxNetwork(this.opts.network, rec);
    await this.persist(() => this.store.removeSandbox(id), `cannot remove pod sandbox ${id}`);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    await this.ready();
    const rec = this.sandboxes.get(id);
    return rec && sandboxStatus(rec);
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    await this.ready();
    return [...this.sandboxes.values()].sort((a, b) => a.createdAt - b.createdAt).map(sandboxStatus);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    await this.ready();
    const name = config.metadata.name;
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${sandboxId} not found`);
    if (s.state !== 'SANDBOX_READY') throw new RuntimeError('CreateContainerError', `cannot create container "${name}": pod sandbox ${sandboxId} is not ready`);
    const invalid = processRuntimeConfigError(config);
    if (invalid) throw new RuntimeError('CreateContainerError', invalid);
    const meta = sandbox.metadata;
    const taken = this.containersOf(sandboxId).find((c) => c.config.metadata.name === name && c.config.metadata.attempt === config.metadata.attempt);
    if (taken) {
      throw new RuntimeError('CreateContainerError', `failed to reserve container name "${name}_${meta.name}_${meta.namespace}_${meta.uid}_${config.metadata.attempt}": name is reserved for "${taken.id}"`);
    }
    const rec: ContainerRecord = {
      id: newId(),
      sandboxId,
      config: structuredClone(config),
      hostname: sandbox.hostname,
      logPath: sandbox.logDirectory && config.logPath ? path.join(sandbox.logDirectory, config.logPath) : '',
      state: 'CONTAINER_CREATED',
      createdAt: Date.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
    };
    try {
      await this.store.createContainerDir(rec.id);
      const stdin = hasStdinPipe(config) ? [STDIN_FIFO, STDIN_CLOSE_FIFO].map((f) => path.join(this.store.containerDir(rec.id), f)) : [];
      await makeFifos([...STREAMS.map((stream) => this.store.fifoPath(rec.id, stream)), ...stdin]);
      await this.store.saveContainer(rec);
    } catch (err) {
      await this.store.removeContainer(rec.id).catch(() => {});
      throw new RuntimeError('CreateContainerError', `cannot create container "${name}": ${errorMessage(err)}`);
    }
    this.containers.set(rec.id, rec);
    return rec.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.ready();
    const rec = this.mustGet(id);
    const name = rec.config.metadata.name;
    if (rec.state !== 'CONTAINER_CREATED' || this.starting.has(id)) {
      throw new RuntimeError('RunContainerError', `container "${name}" (${id}) is in ${this.starting.has(id) ? 'the middle of starting' : `${rec.state} state`}, not CONTAINER_CREATED`);
    }
    this.starting.add(id);
    try {
      await this.start(rec);
    } finally {
      this.starting.delete(id);
    }
  }

  private async start(rec: ContainerRecord): Promise<void> {
    const id = rec.id;
    const sandbox = this.sandboxes.get(rec.sandboxId);
    if (sandbox?.state !== 'SANDBOX_READY') return this.failStart(rec, `pod sandbox ${rec.sandboxId} is not ready`);

    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const cwdError = await workingDirError(cwd);
    if (cwdError) return this.failStart(rec, cwdError);
    const exe = await resolveExecutable(rec.config.command[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) return this.failStart(rec, exe.message);
    // A TTY container runs on a pseudo-terminal that util-linux `script` gives it, as exec -t does.
    let script: string | undefined;
    if (rec.config.tty) {
      const found = await resolveExecutable('script', process.env.PATH || '/usr/bin:/bin', '/');
      if (!found.ok) return this.failStart(rec, 'tty: true needs util-linux script on the node to give the container a terminal');
      script = found.path;
      env.TERM ??= 'xterm';
    }

    const exitFile = this.store.exitFile(id);
    await unlink(exitFile).catch(() => {});
    await unlink(this.store.killedMarker(id)).catch(() => {});
    const writer = rec.logPath ? this.newLogWriter(rec) : undefined;
    try {
      await writer?.open();
    } catch (err) {
      return this.failStart(rec, `cannot open log file ${rec.logPath}: ${errorMessage(err)}`);
    }

    // The container's FIFO ends are open before the reader's, so the reader never sees an early end.
    const fds: number[] = [];
    let child: ChildProcess;
    let pump: LogPump;
    try {
      for (const stream of STREAMS) fds.push(openContainerEnd(this.store.fifoPath(id, stream)));
      const stdin = hasStdinPipe(rec.config) ? openContainerStdin(path.join(this.store.containerDir(id), STDIN_FIFO)) : undefined;
      if (stdin) fds.push(stdin.read, stdin.keep);
      pump = new LogPump({ stdout: this.store.fifoPath(id, 'stdout'), stderr: this.store.fifoPath(id, 'stderr') }, writer, (err) => this.logError(rec, 'log', err));
      try {
        const drop = dropPrivileges(rec.config.user);
        const argv = [exe.path, ...rec.config.command.slice(1), ...rec.config.args];
        const [file, ...args] = [...drop, ...(script ? [script, ...scriptArgs(argv)] : argv)];
        const [sh, ...shArgs] = [...netnsPrefix(this.sandboxes.get(rec.sandboxId)), '/bin/sh', ...wrapperArgv(exitFile, env.PWD, file!, args, stdin ? path.join(this.store.containerDir(id), STDIN_CLOSE_FIFO) : '')];
        child = spawn(sh!, shArgs, {
          cwd,
          env,
          detached: true,
          stdio: stdin ? [stdin.read, fds[0]!, 'ignore', fds[1]!, stdin.keep] : ['ignore', fds[0]!, 'ignore', fds[1]!],
        });
      } catch (err) {
        await pump.close();
        throw err;
      }
    } catch (err) {
      await writer?.close();
      return this.failStart(rec, errorMessage(err));
    } finally {
      for (const fd of fds) closeFd(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
      await pump.close();
      return this.failStart(rec, errorMessage(err));
    }
    // Read at once: the event loop reaps an exited child, after which its identity is lost.
    rec.process = identify(pid);
    rec.state = 'CONTAINER_RUNNING';
    rec.startedAt = Date.now();
    const watch = this.watch(id);
    watch.child = child;
    this.pumps.set(id, pump);
    child.on('error', (err) => this.logError(rec, 'process', err));
    child.on('exit', (code, signal) => {
      if (this.closed) return;
      watch.wrapperExit = { code, signal };
      void this.finalize(id);
    });
    await this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING' || !rec.process) return;
    const watch = this.watch(id);
    if (timeoutSeconds > 0) {
      signalGroup(rec.process, 'SIGTERM');
      await this.waitGone(id, watch, timeoutSeconds * 1000);
    }
    if (!watch.finalizing && !this.closed) {
      await writeFile(this.store.killedMarker(id), '').catch((err) => this.logError(rec, 'state', err));
      signalGroup(rec.process, 'SIGKILL');
      await this.waitGone(id, watch, KILL_WAIT_MS);
    }
    if (!watch.finalizing && this.closed) throw new RuntimeError('Unavailable', 'the process runtime was closed while stopping a container');
    if (!watch.finalizing) throw new RuntimeError('Unavailable', `container "${rec.config.metadata.name}" (${id}) did not exit after SIGKILL`);
    await watch.finalizing;
  }

  async removeContainer(id: string): Promise<void> {
    await this.ready();
    const rec = this.containers.get(id);
    if (!rec) return;
    if (rec.state === 'CONTAINER_RUNNING') await this.stopContainer(id, 0);
    this.containers.delete(id);
    await this.pumps.get(id)?.close();
    this.pumps.delete(id);
    await this.persist(() => this.store.removeContainer(id), `cannot remove container ${id}`);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    await this.ready();
    const rec = this.containers.get(id);
    return rec && containerStatus(rec);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    await this.ready();
    return [...this.containers.values()]
      .filter((c) => filter?.sandboxId === undefined || c.sandboxId === filter.sandboxId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(containerStatus);
  }

  /** The container's processes are its wrapper's session (the wrapper was started with setsid). */
  async containerStatsSource(id: string): Promise<ContainerStatsSource | undefined> {
    await this.ready();
    const rec = this.containers.get(id);
    return rec?.state === 'CONTAINER_RUNNING' && rec.process ? { sessionId: rec.process.pid } : undefined;
  }

  /** A command that cannot be found is a RunContainerError; a timed-out one reports exit code -1. */
  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('RunContainerError', `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveExecutable(cmd[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    // In the pod's network namespace (bridge mode) and as the container's user, with its groups.
    const prefix = [...netnsPrefix(this.sandboxes.get(rec.sandboxId)), ...dropPrivileges(rec.config.user)];
    if (prefix.length > 0) return runExecSync({ file: prefix[0]!, argv0: path.basename(prefix[0]!), args: [...prefix.slice(1), exe.path, ...cmd.slice(1)], env, cwd, timeoutMs });
    return runExecSync({ file: exe.path, argv0: cmd[0]!, args: cmd.slice(1), env, cwd, timeoutMs });
  }

  /** Streaming exec: a host process in the container's environment, working directory and identity. */
  async exec(id: string, cmd: string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveExecutable(cmd[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    const prefix = [...netnsPrefix(this.sandboxes.get(rec.sandboxId)), ...dropPrivileges(rec.config.user)];
    if (prefix.length > 0) return startHostExec({ file: prefix[0]!, argv: [path.basename(prefix[0]!), ...prefix.slice(1), exe.path, ...cmd.slice(1)], env, cwd, tty: opts.tty, stdin: opts.stdin });
    return startHostExec({ file: exe.path, argv: cmd, env, cwd, tty: opts.tty, stdin: opts.stdin });
  }

  /** Attach: the container's stdin FIFO and, with a TTY, the terminal `script` gave it. */
  async attach(id: string, opts: { stdin: boolean }): Promise<ContainerAttachment> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container is in ${rec.state} state`);
    const dir = this.store.containerDir(id);
    return fifoAttachment({
      record: rec,
      stdinFifo: path.join(dir, STDIN_FIFO),
      closeFifo: path.join(dir, STDIN_CLOSE_FIFO),
      wantStdin: opts.stdin,
      pid: rec.process?.pid,
      save: () => this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err)),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const w of this.watches.values()) {
      w.child?.removeAllListeners('exit');
      w.child?.unref();
      w.markGone();
    }
    await Promise.all([...this.pumps.values()].map((p) => p.close()));
    this.pumps.clear();
  }

  // ---- internals ----

  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new RuntimeError('Unavailable', 'the process runtime is closed'));
    this.loading ??= this.load().catch((err) => {
      this.loading = undefined;
      throw new RuntimeError('Unavailable', `cannot read the process runtime's state in ${this.opts.rootDir}: ${errorMessage(err)}`);
    });
    return this.loading;
  }

  /** Reads the state directory and re-adopts running containers (or records how they ended). */
  private async load(): Promise<void> {
    await this.store.init();
    const { sandboxes, containers } = await this.store.load((file, err) => this.log.warn('skipping unreadable runtime state', { file, error: errorMessage(err) }));
    for (const s of sandboxes) this.sandboxes.set(s.id, s);
    for (const c of containers) this.containers.set(c.id, c);
    await checkSandboxNetworks(this.opts.network, sandboxes, (msg, fields) => this.log.warn(msg, fields));
    for (const c of containers) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      this.watch(c.id);
      if (c.process && (await liveness(c.process)) === 'alive') {
        this.pumps.set(c.id, new LogPump({ stdout: this.store.fifoPath(c.id, 'stdout'), stderr: this.store.fifoPath(c.id, 'stderr') }, c.logPath ? this.newLogWriter(c) : undefined, (err) => this.logError(c, 'log', err)));
        this.log.info('re-adopted container', { id: c.id, name: c.config.metadata.name, pid: c.process.pid });
      } else {
        await this.finalize(c.id);
      }
    }
    if (this.watches.size > 0) this.ensurePoller();
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
    if (this.poller || this.closed) return;
    this.poller = setInterval(() => void this.pollAdopted(), this.opts.pollIntervalMs ?? 500);
    this.poller.unref();
  }

  private async pollAdopted(): Promise<void> {
    for (const [id, w] of this.watches) {
      if (w.child || w.finalizing) continue;
      await this.checkAdopted(id);
    }
  }

  private async checkAdopted(id: string): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec || this.closed) return;
    if (!rec.process || (await liveness(rec.process)) === 'gone') void this.finalize(id);
  }

  /** Waits up to `ms` for the container's wrapper to be gone. */
  private async waitGone(id: string, w: Watch, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!w.finalizing && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([w.gone, new Promise<void>((r) => (timer = setTimeout(r, Math.min(left, 100))))]);
      clearTimeout(timer);
      if (!w.child) await this.checkAdopted(id);
    }
  }

  /** Records the exit of a container whose wrapper is gone, once. */
  private finalize(id: string): Promise<void> {
    const w = this.watches.get(id);
    const rec = this.containers.get(id);
    if (!w || !rec) return Promise.resolve();
    w.markGone();
    w.finalizing ??= this.recordExit(rec, w);
    return w.finalizing;
  }

  private async recordExit(rec: ContainerRecord, w: Watch): Promise<void> {
    // Whatever the command left behind goes with it, as when a container's init exits.
    if (rec.process) signalGroup(rec.process, 'SIGKILL');
    const pump = this.pumps.get(rec.id);
    if (pump) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pump.done, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
    }
    const exitFile = this.store.exitFile(rec.id);
    const [text, exitStat, killed] = await Promise.all([
      readFile(exitFile, 'utf8').catch(() => undefined),
      stat(exitFile).catch(() => undefined),
      stat(this.store.killedMarker(rec.id)).then(
        () => true,
        () => false,
      ),
    ]);
    const decision = decideExit({ exitFile: text, wrapperExit: w.wrapperExit, killed });
    rec.state = 'CONTAINER_EXITED';
    rec.exitCode = decision.exitCode;
    rec.reason = decision.reason;
    rec.message = decision.message;
    // The exit file was written as the command ended: the best time when the exit was seen late.
    rec.finishedAt = exitStat && !w.wrapperExit ? Math.max(rec.startedAt, Math.floor(exitStat.mtimeMs)) : Date.now();
    delete rec.process;
    this.watches.delete(rec.id);
    if (this.containers.get(rec.id) === rec) await this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err));
    if (!this.closed) {
      try {
        this.opts.events?.onContainerExit?.(containerStatus(rec));
      } catch (err) {
        this.logError(rec, 'event', err);
      }
    }
  }

  private async failStart(rec: ContainerRecord, why: string): Promise<never> {
    const message = `failed to start container "${rec.config.metadata.name}": ${why}`;
    rec.state = 'CONTAINER_EXITED';
    rec.exitCode = START_ERROR.exitCode;
    rec.reason = START_ERROR.reason;
    rec.message = message;
    rec.finishedAt = Date.now();
    await this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err));
    throw new RuntimeError('RunContainerError', message);
  }

  private newLogWriter(rec: ContainerRecord): CriLogWriter {
    return new CriLogWriter({
      path: rec.logPath,
      maxBytes: this.opts.logMaxBytes,
      maxFiles: this.opts.logMaxFiles,
      onError: (err) => this.logError(rec, 'log', err),
    });
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  private mustGet(id: string): ContainerRecord {
    const rec = this.containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    return rec;
  }

  private async persist(op: () => Promise<void>, what: string): Promise<void> {
    try {
      await op();
    } catch (err) {
      throw new RuntimeError('Unavailable', `${what}: ${errorMessage(err)}`);
    }
  }

  private logError(rec: ContainerRecord, what: string, err: unknown): void {
    this.log.warn(`container ${what} error`, { id: rec.id, name: rec.config.metadata.name, error: errorMessage(err) });
  }
}

/** Why the process runtime cannot run `config`, in words that say what to change; undefined if it can. */
export function processRuntimeConfigError(config: ContainerConfig): string | undefined {
  const name = config.metadata.name;
  if (config.command.length === 0 || config.command[0] === '') {
    return `container "${name}" has no command: the process runtime runs host processes and does not run images, so it needs command (and args) set; image ${JSON.stringify(config.image)} is not run`;
  }
  // Optional mounts (the injected service account volume) are skipped: nothing can honour them here.
  const required = config.mounts.filter((m) => !m.optional);
  if (required.length > 0) {
    const paths = required.map((m) => m.containerPath).join(', ');
    return `container "${name}" has volumeMounts (${paths}): the process runtime runs host processes without a filesystem of their own and cannot honour volumeMounts; run the agent as root with runc installed to use the sandbox runtime`;
  }
  const user = config.user;
  const self = process.getuid?.();
  if (user && self !== 0 && self !== undefined && (user.uid !== self || (user.gid !== undefined && user.gid !== process.getgid?.()))) {
    return `container "${name}" asks to run as uid ${user.uid}${user.gid !== undefined ? `, gid ${user.gid}` : ''}: the process runtime can change the user only when the agent runs as root (it runs as uid ${self})`;
  }
  return undefined;
}

/**
 * The argv prefix that drops to `user` before the command runs (util-linux setpriv): the wrapper
 * stays root so that it can write the exit status into the runtime's state directory.
 */
export function dropPrivileges(user: ContainerConfig['user']): string[] {
  if (!user || process.getuid?.() !== 0) return [];
  const groups = user.supplementalGroups?.length ? [`--groups=${user.supplementalGroups.join(',')}`] : ['--clear-groups'];
  return ['/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid ?? user.uid}`, ...groups, '--'];
}




