/**
 * The container state machine both host runtimes (process and sandbox) share, as functions over
 * their records: the checks CreateContainer makes, the new record (CONTAINER_CREATED), the start
 * (CONTAINER_RUNNING) or the failed start, and the exit (CONTAINER_EXITED) with the exit code,
 * reason, message and finish time decided from what the container's init left behind. The I/O
 * around them is container-table.ts (records) and container-monitor.ts (exits).
 */
import path from 'node:path';
import { decideExit, type ExitEvidence } from './process/exit-status.js';
import type { ProcessIdentity } from './process/proc.js';
import { containerStatus, sandboxStatus, type ContainerRecord, type SandboxRecord } from './process/state-store.js';
import { RuntimeError, type ContainerConfig, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus } from './runtime.js';

/** Exit code and reason containerd gives a container whose start failed. */
export const START_ERROR = { exitCode: 128, reason: 'StartError' } as const;

export interface CreateCheck {
  sandboxId: string;
  /** The sandbox's record; undefined when the runtime has none. */
  sandbox: SandboxRecord | undefined;
  config: ContainerConfig;
  /** The sandbox's config as the kubelet passes it along (names the reserved container). */
  podSandbox: PodSandboxConfig;
  /** The sandbox's containers so far. */
  siblings: ContainerRecord[];
  /** Why this runtime cannot run `config` at all; undefined if it can. */
  configError: (config: ContainerConfig) => string | undefined;
}

/**
 * Why the container cannot be created, checked in this order: the sandbox is unknown
 * (NotFound) or not ready, the runtime cannot run the config, or the name and attempt are taken
 * in the sandbox (as containerd reserves names); undefined when it can be.
 */
export function createContainerError(c: CreateCheck): RuntimeError | undefined {
  const name = c.config.metadata.name;
  const attempt = c.config.metadata.attempt;
  if (!c.sandbox) return new RuntimeError('NotFound', `pod sandbox ${c.sandboxId} not found`);
  if (c.sandbox.state !== 'SANDBOX_READY') return new RuntimeError('CreateContainerError', `cannot create container "${name}": pod sandbox ${c.sandboxId} is not ready`);
  const invalid = c.configError(c.config);
  if (invalid) return new RuntimeError('CreateContainerError', invalid);
  const taken = c.siblings.find((s) => s.config.metadata.name === name && s.config.metadata.attempt === attempt);
  if (taken) {
    const meta = c.podSandbox.metadata;
    return new RuntimeError('CreateContainerError', `failed to reserve container name "${name}_${meta.name}_${meta.namespace}_${meta.uid}_${attempt}": name is reserved for "${taken.id}"`);
  }
  return undefined;
}

/** A created container's record; its log path is resolved under the sandbox's log directory. */
export function newContainerRecord(id: string, sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig, now: number): ContainerRecord {
  return {
    id,
    sandboxId,
    config: structuredClone(config),
    hostname: sandbox.hostname,
    logPath: sandbox.logDirectory && config.logPath ? path.join(sandbox.logDirectory, config.logPath) : '',
    state: 'CONTAINER_CREATED',
    createdAt: now,
    startedAt: 0,
    finishedAt: 0,
    exitCode: 0,
    reason: '',
    message: '',
  };
}

/** Why StartContainer is refused: only a created container that is not being started may start. */
export function startContainerError(rec: ContainerRecord, starting: boolean): RuntimeError | undefined {
  if (rec.state === 'CONTAINER_CREATED' && !starting) return undefined;
  const where = starting ? 'the middle of starting' : `${rec.state} state`;
  return new RuntimeError('RunContainerError', `container "${rec.config.metadata.name}" (${rec.id}) is in ${where}, not CONTAINER_CREATED`);
}

/** The container's init runs as `process`. */
export function markRunning(rec: ContainerRecord, process: ProcessIdentity, now: number): void {
  rec.process = process;
  rec.state = 'CONTAINER_RUNNING';
  rec.startedAt = now;
}

/** The start failed for `why`: exited with StartError; returns the message (the RunContainerError's too). */
export function markStartFailed(rec: ContainerRecord, why: string, now: number): string {
  const message = `failed to start container "${rec.config.metadata.name}": ${why}`;
  rec.state = 'CONTAINER_EXITED';
  rec.exitCode = START_ERROR.exitCode;
  rec.reason = START_ERROR.reason;
  rec.message = message;
  rec.finishedAt = now;
  return message;
}

/** What a container left behind once its init was gone. */
export interface FinishEvidence extends ExitEvidence {
  /** When the exit file was last written (Unix ms); undefined when there is none. */
  exitFileMtimeMs?: number;
  /** OOM kills counted in the container's cgroup (runtimes with cgroups). */
  oomKills?: number;
}

export interface ExitOutcome {
  exitCode: number;
  /** `Completed`, `Error` or `OOMKilled`. */
  reason: string;
  message: string;
  finishedAt: number;
}

/** How the container ended (exit-status.ts decides the code), and when. */
export function exitOutcome(startedAt: number, e: FinishEvidence, now: number): ExitOutcome {
  const decision = decideExit(e);
  // As containerd: an OOM kill in the container's cgroup makes its end an OOMKilled one.
  const oom = (e.oomKills ?? 0) > 0;
  // The exit file was written as the command ended: the best time when the exit was seen late
  // (the wrapper's own exit, seen by its parent, is seen at once).
  const finishedAt = e.exitFileMtimeMs !== undefined && !e.wrapperExit ? Math.max(startedAt, Math.floor(e.exitFileMtimeMs)) : now;
  return { exitCode: decision.exitCode, reason: oom ? 'OOMKilled' : decision.reason, message: oom ? '' : decision.message, finishedAt };
}

export function markExited(rec: ContainerRecord, outcome: ExitOutcome): void {
  rec.state = 'CONTAINER_EXITED';
  rec.exitCode = outcome.exitCode;
  rec.reason = outcome.reason;
  rec.message = outcome.message;
  rec.finishedAt = outcome.finishedAt;
  delete rec.process;
}

/** ListContainers: oldest first, optionally of one sandbox. */
export function listContainerStatuses(records: Iterable<ContainerRecord>, filter?: { sandboxId?: string }): ContainerStatus[] {
  return [...records]
    .filter((c) => filter?.sandboxId === undefined || c.sandboxId === filter.sandboxId)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(containerStatus);
}

/** ListPodSandbox: oldest first. */
export function listSandboxStatuses(records: Iterable<SandboxRecord>): PodSandboxStatus[] {
  return [...records].sort((a, b) => a.createdAt - b.createdAt).map(sandboxStatus);
}
