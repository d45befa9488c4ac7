/**
 * The `process` container runtime: each container is a host process in a session of its own
 * (so that a stop signals everything it started), sharing the host's filesystem and network
 * (in bridge mode, the pod's network namespace, with its own /etc/hosts and resolv.conf:
 * netns-etc.ts). Sandboxes are bookkeeping only. Everything the runtime knows lives under `rootDir`
 * (state-store.ts), and containers keep running when the runtime closes: a new instance on the
 * same directory re-adopts them, goes on writing their logs (log-pump.ts) and reads their exit
 * status from the file their wrapper leaves (exit-status.ts). The records and their transitions
 * are shared with the sandbox runtime (../container-table.ts, ../container-monitor.ts); this file
 * is what starts, signals and execs into a host process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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
import { ContainerMonitor } from '../container-monitor.js';
import { ContainerTable } from '../container-table.js';
import { containerEnvironment, containerWorkingDir, resolveExecutable, workingDirError } from './container-env.js';
import { runExecSync } from './exec-sync.js';
import type { PodNetwork } from '../../network/pod-network.js';
import { netnsPrefix } from '../sandbox-network.js';
import { removeNetnsEtcFiles, writeNetnsEtcFiles } from './netns-etc.js';
import { scriptArgs, startHostExec } from '../../streaming/host-exec.js';
import { wrapperArgv } from './exit-status.js';
import { closeFd, type LogPump, makeFifos, openContainerEnd, STREAMS } from './log-pump.js';
import { identify, signalGroup } from './proc.js';
import { fifoAttachment, hasStdinPipe, openContainerStdin, STDIN_CLOSE_FIFO, STDIN_FIFO } from './stdin-pipe.js';
import { StateStore, errorMessage, type ContainerRecord } from './state-store.js';

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

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly honoursMounts = false;
  readonly enforcesResources = false;
  private readonly store: StateStore;
  private readonly table: ContainerTable;
  private readonly monitor: ContainerMonitor;

  constructor(opts: ProcessRuntimeOptions) {
    this.store = new StateStore(opts.rootDir);
    this.table = new ContainerTable({ runtimeName: 'process', store: this.store, logger: opts.logger ?? silentLogger, network: opts.network, load: () => this.load() });
    this.monitor = new ContainerMonitor({
      table: this.table,
      events: opts.events,
      logMaxBytes: opts.logMaxBytes,
      logMaxFiles: opts.logMaxFiles,
      pollIntervalMs: opts.pollIntervalMs ?? 500,
      stopCheckMs: 100,
      exitFile: (id) => this.store.exitFile(id),
      signal: async (rec, signal) => {
        if (rec.process) signalGroup(rec.process, signal);
      },
      // Whatever the command left behind goes with it, as when a container's init exits.
      initGone: (rec) => {
        if (rec.process) signalGroup(rec.process, 'SIGKILL');
      },
    });
  }

  version(): { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string } {
    return { runtimeName: 'capstan-process', runtimeVersion: PROCESS_RUNTIME_VERSION, runtimeApiVersion: 'v1' };
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ready();
    // Bridge mode: the pod's own hosts and resolv.conf, mounted over the host's by `ip netns exec`.
    return this.table.runSandbox(config, (rec) => writeNetnsEtcFiles(rec));
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.ready();
    await this.table.stopSandbox(id, (c) => this.stopContainer(c, 0));
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.ready();
    await this.table.removeSandbox(id, (c) => this.removeContainer(c), (rec) => removeNetnsEtcFiles(rec));
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
      configError: processRuntimeConfigError,
      prepare: async (rec) => {
        const stdin = hasStdinPipe(config) ? [STDIN_FIFO, STDIN_CLOSE_FIFO].map((f) => path.join(this.store.containerDir(rec.id), f)) : [];
        await makeFifos([...STREAMS.map((stream) => this.store.fifoPath(rec.id, stream)), ...stdin]);
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

    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const cwdError = await workingDirError(cwd);
    if (cwdError) return this.table.failStart(rec, cwdError);
    const exe = await resolveExecutable(rec.config.command[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) return this.table.failStart(rec, exe.message);
    // A TTY container runs on a pseudo-terminal that util-linux `script` gives it, as exec -t does.
    let script: string | undefined;
    if (rec.config.tty) {
      const found = await resolveExecutable('script', process.env.PATH || '/usr/bin:/bin', '/');
      if (!found.ok) return this.table.failStart(rec, 'tty: true needs util-linux script on the node to give the container a terminal');
      script = found.path;
      env.TERM ??= 'xterm';
    }

    const exitFile = this.store.exitFile(id);
    await this.monitor.clearExit(id);
    const writer = rec.logPath ? this.monitor.logWriter(rec) : undefined;
    try {
      await writer?.open();
    } catch (err) {
      return this.table.failStart(rec, `cannot open log file ${rec.logPath}: ${errorMessage(err)}`);
    }

    // The container's FIFO ends are open before the reader's, so the reader never sees an early end.
    const fds: number[] = [];
    let child: ChildProcess;
    let pump: LogPump;
    try {
      for (const stream of STREAMS) fds.push(openContainerEnd(this.store.fifoPath(id, stream)));
      const stdin = hasStdinPipe(rec.config) ? openContainerStdin(path.join(this.store.containerDir(id), STDIN_FIFO)) : undefined;
      if (stdin) fds.push(stdin.read, stdin.keep);
      pump = this.monitor.logPump(rec, writer);
      try {
        const drop = dropPrivileges(rec.config.user);
        const argv = [exe.path, ...rec.config.command.slice(1), ...rec.config.args];
        const [file, ...args] = [...drop, ...(script ? [script, ...scriptArgs(argv)] : argv)];
        const [sh, ...shArgs] = [...netnsPrefix(this.table.sandbox(rec.sandboxId)), '/bin/sh', ...wrapperArgv(exitFile, env.PWD, file!, args, stdin ? path.join(this.store.containerDir(id), STDIN_CLOSE_FIFO) : '')];
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
      return this.table.failStart(rec, errorMessage(err));
    } finally {
      for (const fd of fds) closeFd(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
      await pump.close();
      return this.table.failStart(rec, errorMessage(err));
    }
    // Read at once: the event loop reaps an exited child, after which its identity is lost.
    return this.monitor.started(rec, identify(pid), pump, child);
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
    await this.table.removeContainer(rec);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    await this.ready();
    return this.table.containerStatus(id);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    await this.ready();
    return this.table.listContainers(filter);
  }

  /** The container's processes are its wrapper's session (the wrapper was started with setsid). */
  async containerStatsSource(id: string): Promise<ContainerStatsSource | undefined> {
    await this.ready();
    const rec = this.table.container(id);
    return rec?.state === 'CONTAINER_RUNNING' && rec.process ? { sessionId: rec.process.pid } : undefined;
  }

  /** A command that cannot be found is a RunContainerError; a timed-out one reports exit code -1. */
  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    await this.ready();
    const rec = this.table.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('RunContainerError', `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveExecutable(cmd[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    // In the pod's network namespace (bridge mode) and as the container's user, with its groups.
    const prefix = [...netnsPrefix(this.table.sandbox(rec.sandboxId)), ...dropPrivileges(rec.config.user)];
    if (prefix.length > 0) return runExecSync({ file: prefix[0]!, argv0: path.basename(prefix[0]!), args: [...prefix.slice(1), exe.path, ...cmd.slice(1)], env, cwd, timeoutMs });
    return runExecSync({ file: exe.path, argv0: cmd[0]!, args: cmd.slice(1), env, cwd, timeoutMs });
  }

  /** Streaming exec: a host process in the container's environment, working directory and identity. */
  async exec(id: string, cmd: string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    await this.ready();
    const rec = this.table.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container "${rec.config.metadata.name}" (${id}) is in ${rec.state} state, not running`);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const env = containerEnvironment(rec.config.env, rec.hostname);
    const cwd = containerWorkingDir(rec.config.workingDir);
    const exe = await resolveExecutable(cmd[0]!, env.PATH ?? '', cwd);
    if (!exe.ok) throw new RuntimeError('RunContainerError', exe.message);
    const prefix = [...netnsPrefix(this.table.sandbox(rec.sandboxId)), ...dropPrivileges(rec.config.user)];
    if (prefix.length > 0) return startHostExec({ file: prefix[0]!, argv: [path.basename(prefix[0]!), ...prefix.slice(1), exe.path, ...cmd.slice(1)], env, cwd, tty: opts.tty, stdin: opts.stdin });
    return startHostExec({ file: exe.path, argv: cmd, env, cwd, tty: opts.tty, stdin: opts.stdin });
  }

  /** Attach: the container's stdin FIFO and, with a TTY, the terminal `script` gave it. */
  async attach(id: string, opts: { stdin: boolean }): Promise<ContainerAttachment> {
    await this.ready();
    const rec = this.table.mustGet(id);
    if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('NotFound', `container is in ${rec.state} state`);
    const dir = this.store.containerDir(id);
    return fifoAttachment({
      record: rec,
      stdinFifo: path.join(dir, STDIN_FIFO),
      closeFifo: path.join(dir, STDIN_CLOSE_FIFO),
      wantStdin: opts.stdin,
      pid: rec.process?.pid,
      save: () => this.table.save(rec),
    });
  }

  async close(): Promise<void> {
    if (this.table.close()) await this.monitor.close();
  }

  private ready(): Promise<void> {
    return this.table.ready();
  }

  /** Reads the state directory and re-adopts running containers (or records how they ended). */
  private async load(): Promise<void> {
    const { containers } = await this.table.load();
    await this.monitor.adopt(containers);
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




