/**
 * The `sandbox` container runtime: runc runs each container in mount, PID, IPC and UTS
 * namespaces of its own (and the pod's network namespace in bridge mode) and a cgroup at
 * /capstan/<sandbox>/<container> with the container's limits. Its root filesystem is an overlay
 * over the host's `/` with a private upper layer (rootfs.ts), set up with the rest of the OCI
 * bundle by bundle.ts; each pod has its own /etc/hosts, /etc/resolv.conf and /etc/hostname
 * (pod-files.ts); volumes are bind mounts (oci-spec.ts). The container's
 * security context decides its user, capabilities, devices and read-only paths (oci-security.ts);
 * commands exec'd into it inherit them (runc exec starts from the bundle's process).
 *
 * It shares the process runtime's machinery: the state store, the FIFOs and log pump that carry
 * output into the CRI log, and the /bin/sh wrapper that leaves the exit status in a file (here
 * the wrapper is the container's PID 1 and writes into a directory bind-mounted from the
 * container's state). runc leaves a detached container to the host's init, so exits are found
 * by watching the wrapper's pid; a new instance on the same root re-adopts running containers.
 * A container the OOM killer hit (its cgroup's oom_kill counter) is reported `OOMKilled`.
 *
 *   <root>/runc/                      runc's own state (runc --root)
 *   <root>/pods/<sandbox>/            the pod's hosts, resolv.conf and hostname files
 *   <root>/containers/<id>/bundle/    config.json; upper/, work/, rootfs/ (the overlay)
 *   <root>/containers/<id>/status/    the wrapper's exit file
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CriLogWriter } from '../../logs/cri-log-writer.js';
import type { Logger } from '../../../util/logger.js';
import { startHostExec } from '../../streaming/host-exec.js';
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
import { containerEnvironment, containerWorkingDir } from '../process/container-env.js';
import { runExecSync } from '../process/exec-sync.js';
import { decideExit } from '../process/exit-status.js';
import { closeFd, LogPump, makeFifos, openContainerEnd, STREAMS } from '../process/log-pump.js';
import { identify, liveness } from '../process/proc.js';
import { fifoAttachment, hasStdinPipe, openContainerStdin, STDIN_CLOSE_FIFO, STDIN_FIFO } from '../process/stdin-pipe.js';
import { StateStore, containerStatus, errorMessage, newId, sandboxStatus, type ContainerRecord, type SandboxRecord } from '../process/state-store.js';
import { cgroupVersion, readOomKills, removeCgroup, statsCgroup, type CgroupVersion } from './cgroup.js';
import { resolveInContainer } from './container-path.js';
import { Runc, RuncError } from './runc.js';
import type { PodNetwork } from '../../network/pod-network.js';
import { attachSandboxNetwork, checkSandboxNetworks, detachSandboxNetwork } from '../sandbox-network.js';
import { unmount } from './rootfs.js';
import { prepareBundle } from './bundle.js';
import { podFileMounts, writePodFiles } from './pod-files.js';

export const SANDBOX_RUNTIME_VERSION = '0.1.0';

export interface SandboxRuntimeOptions {
  rootDir: string;
  /** The runc binary (absolute path). */
  runc: string;
  logMaxBytes?: number;
  logMaxFiles?: number;
  events?: RuntimeEvents;
  logger?: Logger;
  /** How often running containers are checked for their exit (default 100 ms). */
  pollIntervalMs?: number;
  /** Parent of every container's cgroup (default /capstan). */
  cgroupParent?: string;
  /** Bridge mode: sandboxes that do not share the node's network get their own namespace. */
  network?: PodNetwork;
}

const START_ERROR = { exitCode: 128, reason: 'StartError' } as const;
const DRAIN_MS = 2000;
const KILL_WAIT_MS = 10_000;

interface Watch {
  finalizing?: Promise<void>;
  gone: Promise<void>;
  markGone: () => void;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

export class SandboxRuntime implements ContainerRuntime {
  readonly name = 'sandbox';
  private readonly store: StateStore;
  private readonly runc: Runc;
  private readonly log: Logger;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly watches = new Map<string, Watch>();
  private readonly pumps = new Map<string, LogPump>();
  private readonly starting = new Set<string>();
  private cgroups: CgroupVersion = 1;
  private loading: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: SandboxRuntimeOptions) {
    this.store = new StateStore(opts.rootDir);
    this.runc = new Runc(opts.runc, path.join(opts.rootDir, 'runc'));
    this.log = opts.logger ?? silentLogger;
  }

  version(): { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string } {
    return { runtimeName: 'capstan-sandbox', runtimeVersion: SANDBOX_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ready();
    const rec: SandboxRecord = { id: newId(), config: structuredClone(config), state: 'SANDBOX_READY', createdAt: Date.now() };
    await attachSandboxNetwork(this.opts.network, rec);
    try {
      await this.persist(async () => {
        await writePodFiles(this.podDir(rec.id), rec);
        await this.store.saveSandbox(rec);
      }, `cannot record pod sandbox ${config.metadata.namespace}/${config.metadata.name}`);
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
    await removeCgroup(this.cgroups, this.sandboxCgroup(id));
    await this.persist(async () => {
      await rm(this.podDir(id), { recursive: true, force: true });
      await this.store.removeSandbox(id);
    }, `cannot remove pod sandbox ${id}`);
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
    const invalid = sandboxRuntimeConfigError(config);
    if (invalid) throw new RuntimeError('CreateContainerError', invalid);
    const meta = sandbox.metadata;
    const taken = this.containersOf(sandboxId).find((c) => c.config.metadata.name === name && c.config.metadata.attempt === config.metadata.attempt);
    if (taken) {
      throw new RuntimeError('CreateContainerError', `failed to reserve container name "${name}_${meta.name}_${meta.namespace}_${meta.uid}_${config.metadata.attempt}": name is reserved for "${taken.id}"`);
    }
    let id = newId();
    // runc ids are the first 16 hex digits: keep them unique among this runtime's containers.
    while ([...this.containers.keys()].some((k) => runcId(k) === runcId(id))) id = newId();
    const rec: ContainerRecord = {
      id,
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
      await this.store.createContainerDir(id);
      await mkdir(this.statusDir(id), { recursive: true });
      // The close FIFO is read inside the container: it lives in the status directory mounted there.
      const stdin = hasStdinPipe(config) ? [path.join(this.store.containerDir(id), STDIN_FIFO), path.join(this.statusDir(id), STDIN_CLOSE_FIFO)] : [];
      await makeFifos([...STREAMS.map((stream) => this.store.fifoPath(id, stream)), ...stdin]);
      await this.store.saveContainer(rec);
    } catch (err) {
      await this.store.removeContainer(id).catch(() => {});
      throw new RuntimeError('CreateContainerError', `cannot create container "${name}": ${errorMessage(err)}`);
    }
    this.containers.set(id, rec);
    return id;
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
    const bundle = this.bundleDir(id);
    await unlink(path.join(this.statusDir(id), 'exit')).catch(() => {});
    await unlink(this.store.killedMarker(id)).catch(() => {});
    const podFiles = podFileMounts(this.podDir(rec.sandboxId));
    const why = await prepareBundle({ rec, sandbox, bundle, statusDir: this.statusDir(id), podFiles, cgroupsPath: this.containerCgroup(rec) });
    if (why) return this.failStart(rec, why);
    const writer = rec.logPath ? this.newLogWriter(rec) : undefined;
    try {
      await writer?.open();
    } catch (err) {
      return this.failStart(rec, `cannot open log file ${rec.logPath}: ${errorMessage(err)}`);
    }

    const pidFile = path.join(this.store.containerDir(id), 'pid');
    const fds: number[] = [];
    let pump: LogPump | undefined;
    try {
      for (const stream of STREAMS) fds.push(openContainerEnd(this.store.fifoPath(id, stream)));
      const stdin = hasStdinPipe(rec.config) ? openContainerStdin(path.join(this.store.containerDir(id), STDIN_FIFO)) : undefined;
      if (stdin) fds.push(stdin.read, stdin.keep);
      pump = new LogPump({ stdout: this.store.fifoPath(id, 'stdout'), stderr: this.store.fifoPath(id, 'stderr') }, writer, (err) => this.logError(rec, 'log', err));
      await this.runc.runDetached(runcId(id), bundle, pidFile, path.join(this.store.containerDir(id), 'runc.log'), fds[0]!, fds[1]!, stdin);
    } catch (err) {
      for (const fd of fds) closeFd(fd);
      fds.length = 0;
      await this.runc.delete(runcId(id)).catch(() => {});
      if (pump) await pump.close();
      else await writer?.close();
      return this.failStart(rec, errorMessage(err));
    } finally {
      for (const fd of fds) closeFd(fd);
    }
    const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
    rec.process = identify(Number.isInteger(pid) ? pid : 0);
    rec.state = 'CONTAINER_RUNNING';
    rec.startedAt = Date.now();
    this.watch(id);
    this.pumps.set(id, pump);
    this.ensurePoller();
    await this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') return;
    const watch = this.watch(id);
    if (timeoutSeconds > 0) {
      await this.runc.kill(runcId(id), 'TERM').catch(() => {});
      await this.waitGone(id, watch, timeoutSeconds * 1000);
    }
    if (!watch.finalizing && !this.closed) {
      await writeFile(this.store.killedMarker(id), '').catch((err) => this.logError(rec, 'state', err));
      await this.runc.kill(runcId(id), 'KILL').catch(() => {});
      await this.waitGone(id, watch, KILL_WAIT_MS);
    }
    if (!watch.finalizing && this.closed) throw new RuntimeError('Unavailable', 'the sandbox runtime was closed while stopping a container');
    if (!watch.finalizing) throw new RuntimeError('Unavailable', `container "${rec.config.metadata.name}" (${id}) did not exit after SIGKILL`);
    await watch.finalizing;
  }

  async removeContainer(id: string): Promise<void> {
    await this.ready();
    const rec = this.containers.get(id);
    if (!rec) return;
    if (rec.state === 'CONTAINER_RUNNING') await this.stopContainer(id, 0);
    await this.pumps.get(id)?.close();
    this.pumps.delete(id);
    await this.persist(async () => {
      await this.runc.delete(runcId(id)).catch((err: unknown) => {
        if (!(err instanceof RuncError && /does not exist/.test(err.message))) throw err;
      });
      await unmount(path.join(this.bundleDir(id), 'rootfs'));
      await removeCgroup(this.cgroups, this.containerCgroup(rec));
      await this.store.removeContainer(id);
    }, `cannot remove container ${id}`);
    this.containers.delete(id);
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

  async containerStatsSource(id: string): Promise<ContainerStatsSource | undefined> {
    await this.ready();
    const rec = this.containers.get(id);
    return rec?.state === 'CONTAINER_RUNNING' ? { cgroup: statsCgroup(this.cgroups, this.containerCgroup(rec)) } : undefined;
  }

  /** `runc exec`; a command that cannot be found is a RunContainerError; a timed-out one reports -1. */
  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    const rec = await this.execTarget(id, cmd, 'RunContainerError');
    const pidFile = path.join(this.store.containerDir(id), `exec-${randomBytes(4).toString('hex')}.pid`);
    try {
      const r = await runExecSync({ file: this.runc.binary, argv0: 'runc', args: this.runc.execArgs(runcId(rec.id), cmd, pidFile), env: hostEnv(), cwd: '/', timeoutMs });
      if (r.timedOut) {
        // Killing `runc exec` leaves the command running in the container: kill it too.
        const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
        if (Number.isInteger(pid) && pid > 0) killQuietly(pid);
      }
      return r;
    } finally {
      await unlink(pidFile).catch(() => {});
    }
  }

  async exec(id: string, cmd: string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    const rec = await this.execTarget(id, cmd, 'NotFound');
    // Without -t, runc hands its own stdio (a terminal under `script` when a TTY is asked for) to the command.
    return startHostExec({ file: this.runc.binary, argv: ['runc', ...this.runc.execArgs(runcId(rec.id), cmd)], env: hostEnv(), cwd: '/', tty: opts.tty, stdin: opts.stdin });
  }

  /** Attach: the container's stdin FIFO and, with a TTY, the terminal `script` gave it. */
  async attach(id: string, opts: { stdin: boolean }): Promise<ContainerAttachment> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container is in ${rec.state} state`);
    return fifoAttachment({
      record: rec,
      stdinFifo: path.join(this.store.containerDir(id), STDIN_FIFO),
      closeFifo: path.join(this.statusDir(id), STDIN_CLOSE_FIFO),
      wantStdin: opts.stdin,
      pid: rec.process?.pid,
      save: () => this.store.saveContainer(rec).catch((err) => this.logError(rec, 'state', err)),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const w of this.watches.values()) w.markGone();
    await Promise.all([...this.pumps.values()].map((p) => p.close()));
    this.pumps.clear();
  }

  // ---- internals ----

  private async execTarget(id: string, cmd: string[], notRunning: 'RunContainerError' | 'NotFound'): Promise<ContainerRecord> {
    await this.ready();
    const rec = this.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError(notRunning, `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveInContainer(cmd[0]!, env.PATH ?? '', cwd, path.join(this.bundleDir(id), 'rootfs'), rec.config.mounts);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    return rec;
  }

  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new RuntimeError('Unavailable', 'the sandbox runtime is closed'));
    this.loading ??= this.load().catch((err) => {
      this.loading = undefined;
      throw new RuntimeError('Unavailable', `cannot read the sandbox runtime's state in ${this.opts.rootDir}: ${errorMessage(err)}`);
    });
    return this.loading;
  }

  /** Reads the state directory and re-adopts running containers (or records how they ended). */
  private async load(): Promise<void> {
    await this.store.init();
    await mkdir(path.join(this.opts.rootDir, 'pods'), { recursive: true });
    await mkdir(this.runc.root, { recursive: true, mode: 0o700 });
    this.cgroups = await cgroupVersion();
    const { sandboxes, containers } = await this.store.load((file, err) => this.log.warn('skipping unreadable runtime state', { file, error: errorMessage(err) }));
    for (const s of sandboxes) this.sandboxes.set(s.id, s);
    for (const c of containers) this.containers.set(c.id, c);
    await checkSandboxNetworks(this.opts.network, sandboxes, (msg, fields) => this.log.warn(msg, fields));
    const known = new Set(containers.map((c) => runcId(c.id)));
    // A runc container without a record was started by an instance that died before recording it.
    for (const r of await this.runc.list()) {
      if (known.has(r.id)) continue;
      this.log.warn('deleting an unrecorded runc container', { id: r.id });
      await this.runc.delete(r.id).catch((err) => this.log.warn('cannot delete runc container', { id: r.id, error: errorMessage(err) }));
    }
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
    this.poller = setInterval(() => void this.pollRunning(), this.opts.pollIntervalMs ?? 100);
    this.poller.unref();
  }

  private async pollRunning(): Promise<void> {
    for (const [id, w] of this.watches) if (!w.finalizing) await this.check(id);
  }

  private async check(id: string): Promise<void> {
    const rec = this.containers.get(id);
    if (!rec || this.closed) return;
    if (!rec.process || (await liveness(rec.process)) === 'gone') void this.finalize(id);
  }

  private async waitGone(id: string, w: Watch, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!w.finalizing && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([w.gone, new Promise<void>((r) => (timer = setTimeout(r, Math.min(left, 50))))]);
      clearTimeout(timer);
      await this.check(id);
    }
  }

  private finalize(id: string): Promise<void> {
    const w = this.watches.get(id);
    const rec = this.containers.get(id);
    if (!w || !rec) return Promise.resolve();
    w.markGone();
    w.finalizing ??= this.recordExit(rec);
    return w.finalizing;
  }

  private async recordExit(rec: ContainerRecord): Promise<void> {
    // The init's end took every other process of the PID namespace with it.
    const pump = this.pumps.get(rec.id);
    if (pump) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pump.done, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
    }
    const exitFile = path.join(this.statusDir(rec.id), 'exit');
    const [text, exitStat, killed, oomKills] = await Promise.all([
      readFile(exitFile, 'utf8').catch(() => undefined),
      stat(exitFile).catch(() => undefined),
      stat(this.store.killedMarker(rec.id)).then(
        () => true,
        () => false,
      ),
      readOomKills(this.cgroups, this.containerCgroup(rec)),
    ]);
    const decision = decideExit({ exitFile: text, killed });
    rec.state = 'CONTAINER_EXITED';
    rec.exitCode = decision.exitCode;
    // As containerd: an OOM kill in the container's cgroup makes its end an OOMKilled one.
    rec.reason = oomKills > 0 ? 'OOMKilled' : decision.reason;
    rec.message = oomKills > 0 ? '' : decision.message;
    rec.finishedAt = exitStat ? Math.max(rec.startedAt, Math.floor(exitStat.mtimeMs)) : Date.now();
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
    return new CriLogWriter({ path: rec.logPath, maxBytes: this.opts.logMaxBytes, maxFiles: this.opts.logMaxFiles, onError: (err) => this.logError(rec, 'log', err) });
  }

  private podDir(sandboxId: string): string {
    return path.join(this.opts.rootDir, 'pods', sandboxId);
  }

  private bundleDir(id: string): string {
    return path.join(this.store.containerDir(id), 'bundle');
  }

  private statusDir(id: string): string {
    return path.join(this.store.containerDir(id), 'status');
  }

  private sandboxCgroup(sandboxId: string): string {
    return path.posix.join(this.opts.cgroupParent ?? '/capstan', sandboxId.slice(0, 16));
  }

  private containerCgroup(rec: ContainerRecord): string {
    return path.posix.join(this.sandboxCgroup(rec.sandboxId), runcId(rec.id));
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

/** Why the sandbox runtime cannot run `config`; undefined if it can. */
export function sandboxRuntimeConfigError(config: ContainerConfig): string | undefined {
  const name = config.metadata.name;
  if (config.command.length === 0 || config.command[0] === '') {
    return `container "${name}" has no command: the sandbox runtime runs the host's filesystem and does not pull images yet, so it needs command (and args) set; image ${JSON.stringify(config.image)} is not run`;
  }
  const unprepared = config.mounts.filter((m) => !m.hostPath);
  if (unprepared.length) return `container "${name}" has volumeMounts (${unprepared.map((m) => m.containerPath).join(', ')}) with no host path (their volumes were not prepared)`;
  const relative = config.mounts.find((m) => !m.containerPath.startsWith('/'));
  if (relative) return `container "${name}": mount path ${JSON.stringify(relative.containerPath)} is not absolute`;
  return undefined;
}

/** The runc id of a container: short, and unique among this runtime's containers. */
export function runcId(id: string): string {
  return id.slice(0, 16);
}

function hostEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
