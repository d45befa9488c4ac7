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
 * output into the CRI log, the /bin/sh wrapper that leaves the exit status in a file (here
 * the wrapper is the container's PID 1 and writes into a directory bind-mounted from the
 * container's state), and the records and exit watching of ../container-table.ts and
 * ../container-monitor.ts. runc leaves a detached container to the host's init, so exits are found
 * by watching the wrapper's pid; a new instance on the same root re-adopts running containers.
 * A container the OOM killer hit (its cgroup's oom_kill counter) is reported `OOMKilled`.
 *
 *   <root>/runc/                      runc's own state (runc --root)
 *   <root>/pods/<sandbox>/            the pod's hosts, resolv.conf and hostname files
 *   <root>/containers/<id>/bundle/    config.json; upper/, work/, rootfs/ (the overlay)
 *   <root>/containers/<id>/status/    the wrapper's exit file
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
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
import { ContainerMonitor } from '../container-monitor.js';
import { ContainerTable } from '../container-table.js';
import { containerEnvironment, containerWorkingDir } from '../process/container-env.js';
import { runExecSync } from '../process/exec-sync.js';
import { closeFd, type LogPump, makeFifos, openContainerEnd, STREAMS } from '../process/log-pump.js';
import { identify } from '../process/proc.js';
import { fifoAttachment, hasStdinPipe, openContainerStdin, STDIN_CLOSE_FIFO, STDIN_FIFO } from '../process/stdin-pipe.js';
import { StateStore, errorMessage, type ContainerRecord } from '../process/state-store.js';
import { cgroupVersion, readOomKills, removeCgroup, statsCgroup, type CgroupVersion } from './cgroup.js';
import { resolveInContainer } from './container-path.js';
import { Runc, RuncError } from './runc.js';
import type { PodNetwork } from '../../network/pod-network.js';
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

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

export class SandboxRuntime implements ContainerRuntime {
  readonly name = 'sandbox';
  private readonly store: StateStore;
  private readonly runc: Runc;
  private readonly table: ContainerTable;
  private readonly monitor: ContainerMonitor;
  private cgroups: CgroupVersion = 1;

  constructor(private readonly opts: SandboxRuntimeOptions) {
    this.store = new StateStore(opts.rootDir);
    this.runc = new Runc(opts.runc, path.join(opts.rootDir, 'runc'));
    // runc ids are the first 16 hex digits: they must be unique among this runtime's containers.
    this.table = new ContainerTable({ runtimeName: 'sandbox', store: this.store, logger: opts.logger ?? silentLogger, network: opts.network, load: () => this.load(), idKey: runcId });
    this.monitor = new ContainerMonitor({
      table: this.table,
      events: opts.events,
      logMaxBytes: opts.logMaxBytes,
      logMaxFiles: opts.logMaxFiles,
      pollIntervalMs: opts.pollIntervalMs ?? 100,
      stopCheckMs: 50,
      exitFile: (id) => path.join(this.statusDir(id), 'exit'),
      signal: (rec, signal) => this.runc.kill(runcId(rec.id), signal === 'SIGTERM' ? 'TERM' : 'KILL').catch(() => {}),
      // No initGone: the init's end took every other process of the PID namespace with it.
      oomKills: (rec) => readOomKills(this.cgroups, this.containerCgroup(rec)),
    });
  }

  version(): { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string } {
    return { runtimeName: 'capstan-sandbox', runtimeVersion: SANDBOX_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ready();
    return this.table.runSandbox(config, (rec) => writePodFiles(this.podDir(rec.id), rec));
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.ready();
    await this.table.stopSandbox(id, (c) => this.stopContainer(c, 0));
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.ready();
    await this.table.removeSandbox(
      id,
      (c) => this.removeContainer(c),
      async () => {
        await removeCgroup(this.cgroups, this.sandboxCgroup(id));
        await rm(this.podDir(id), { recursive: true, force: true });
      },
    );
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    await this.ready();
    return this.table.sandboxStatus(id);
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    await this.ready();
    return this.table.listSandboxes();
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    await this.ready();
    return this.table.createContainer(sandboxId, config, sandbox, {
      configError: sandboxRuntimeConfigError,
      prepare: async ({ id }) => {
        await mkdir(this.statusDir(id), { recursive: true });
        // The close FIFO is read inside the container: it lives in the status directory mounted there.
        const stdin = hasStdinPipe(config) ? [path.join(this.store.containerDir(id), STDIN_FIFO), path.join(this.statusDir(id), STDIN_CLOSE_FIFO)] : [];
        await makeFifos([...STREAMS.map((stream) => this.store.fifoPath(id, stream)), ...stdin]);
      },
    });
  }

  async startContainer(id: string): Promise<void> {
    await this.ready();
    await this.table.startContainer(id, (rec) => this.start(rec));
  }

  private async start(rec: ContainerRecord): Promise<void> {
    const id = rec.id;
    const sandbox = this.table.sandbox(rec.sandboxId);
    if (sandbox?.state !== 'SANDBOX_READY') return this.table.failStart(rec, `pod sandbox ${rec.sandboxId} is not ready`);
    const bundle = this.bundleDir(id);
    await this.monitor.clearExit(id);
    const podFiles = podFileMounts(this.podDir(rec.sandboxId));
    const why = await prepareBundle({ rec, sandbox, bundle, statusDir: this.statusDir(id), podFiles, cgroupsPath: this.containerCgroup(rec) });
    if (why) return this.table.failStart(rec, why);
    const writer = rec.logPath ? this.monitor.logWriter(rec) : undefined;
    try {
      await writer?.open();
    } catch (err) {
      return this.table.failStart(rec, `cannot open log file ${rec.logPath}: ${errorMessage(err)}`);
    }

    const pidFile = path.join(this.store.containerDir(id), 'pid');
    const fds: number[] = [];
    let pump: LogPump | undefined;
    try {
      for (const stream of STREAMS) fds.push(openContainerEnd(this.store.fifoPath(id, stream)));
      const stdin = hasStdinPipe(rec.config) ? openContainerStdin(path.join(this.store.containerDir(id), STDIN_FIFO)) : undefined;
      if (stdin) fds.push(stdin.read, stdin.keep);
      pump = this.monitor.logPump(rec, writer);
      await this.runc.runDetached(runcId(id), bundle, pidFile, path.join(this.store.containerDir(id), 'runc.log'), fds[0]!, fds[1]!, stdin);
    } catch (err) {
      for (const fd of fds) closeFd(fd);
      fds.length = 0;
      await this.runc.delete(runcId(id)).catch(() => {});
      if (pump) await pump.close();
      else await writer?.close();
      return this.table.failStart(rec, errorMessage(err));
    } finally {
      for (const fd of fds) closeFd(fd);
    }
    const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
    return this.monitor.started(rec, identify(Number.isInteger(pid) ? pid : 0), pump);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.ready();
    await this.monitor.stop(this.table.mustGet(id), timeoutSeconds);
  }

  async removeContainer(id: string): Promise<void> {
    await this.ready();
    const rec = this.table.container(id);
    if (!rec) return;
    if (rec.state === 'CONTAINER_RUNNING') await this.stopContainer(id, 0);
    await this.monitor.release(id);
    await this.table.removeContainer(rec, async () => {
      await this.runc.delete(runcId(id)).catch((err: unknown) => {
        if (!(err instanceof RuncError && /does not exist/.test(err.message))) throw err;
      });
      await unmount(path.join(this.bundleDir(id), 'rootfs'));
      await removeCgroup(this.cgroups, this.containerCgroup(rec));
    });
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    await this.ready();
    return this.table.containerStatus(id);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    await this.ready();
    return this.table.listContainers(filter);
  }

  async containerStatsSource(id: string): Promise<ContainerStatsSource | undefined> {
    await this.ready();
    const rec = this.table.container(id);
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
    const rec = this.table.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container is in ${rec.state} state`);
    return fifoAttachment({
      record: rec,
      stdinFifo: path.join(this.store.containerDir(id), STDIN_FIFO),
      closeFifo: path.join(this.statusDir(id), STDIN_CLOSE_FIFO),
      wantStdin: opts.stdin,
      pid: rec.process?.pid,
      save: () => this.table.save(rec),
    });
  }

  async close(): Promise<void> {
    if (this.table.close()) await this.monitor.close();
  }

  // ---- internals ----

  private async execTarget(id: string, cmd: string[], notRunning: 'RunContainerError' | 'NotFound'): Promise<ContainerRecord> {
    await this.ready();
    const rec = this.table.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError(notRunning, `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveInContainer(cmd[0]!, env.PATH ?? '', cwd, path.join(this.bundleDir(id), 'rootfs'), rec.config.mounts);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    return rec;
  }

  private ready(): Promise<void> {
    return this.table.ready();
  }

  /** Reads the state directory and re-adopts running containers (or records how they ended). */
  private async load(): Promise<void> {
    await mkdir(path.join(this.opts.rootDir, 'pods'), { recursive: true });
    await mkdir(this.runc.root, { recursive: true, mode: 0o700 });
    this.cgroups = await cgroupVersion();
    const { containers } = await this.table.load();
    const known = new Set(containers.map((c) => runcId(c.id)));
    // A runc container without a record was started by an instance that died before recording it.
    for (const r of await this.runc.list()) {
      if (known.has(r.id)) continue;
      this.table.log.warn('deleting an unrecorded runc container', { id: r.id });
      await this.runc.delete(r.id).catch((err) => this.table.log.warn('cannot delete runc container', { id: r.id, error: errorMessage(err) }));
    }
    await this.monitor.adopt(containers);
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
