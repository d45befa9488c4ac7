/**
 * The container runtime interface the node agent drives, shaped like the CRI's RuntimeService
 * (k8s.io/cri-api runtime/v1): a pod is a sandbox holding containers; each container has a log
 * file the runtime writes in the CRI log format. Implementations: `process` (host processes) and
 * `sandbox` (runc), which share their container bookkeeping (./container-table.ts,
 * ./container-monitor.ts). Every runtime passes the shared conformance suite (./conformance.ts).
 */

import type { Readable, Writable } from 'node:stream';

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  /** Directory under which container log paths are resolved (the kubelet's /var/log/pods/<ns>_<name>_<uid>). */
  logDirectory: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Shares the node's network (spec.hostNetwork); in `host` mode every sandbox shares it regardless. */
  hostNetwork: boolean;
  dns?: { servers: string[]; searches: string[]; options: string[] };
  /**
   * What the kubelet puts in the pod's managed /etc/hosts besides its IPs and hostname (the CRI
   * leaves that file to the kubelet; here the runtimes write it): the pod's domain,
   * `<subdomain>.<namespace>.svc.<cluster domain>` when it has spec.subdomain, and spec.hostAliases.
   */
  hostDomain?: string;
  hostAliases?: { ip: string; hostnames: string[] }[];
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  /** Unix ms. */
  createdAt: number;
  /** The pod's IPs; empty for host-network sandboxes (the agent then reports the node IP). */
  ips: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /**
   * The runtime may skip this mount when it cannot honour mounts at all (the service account
   * volume admission adds to every pod); a runtime that mounts volumes mounts it like any other.
   */
  optional?: boolean;
}

export interface LinuxContainerResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
}

/**
 * The container's Linux security settings, shaped like the CRI's LinuxContainerSecurityContext
 * (trimmed to what the runtimes honour). The kubelet has already merged the pod's settings in.
 */
export interface LinuxContainerSecurityContext {
  /** Capability names as the API gives them (`NET_ADMIN` or `CAP_NET_ADMIN`; `ALL`). */
  capabilities?: { addCapabilities: string[]; dropCapabilities: string[] };
  /** Every capability, the host's devices, no masked or read-only paths, /sys writable. */
  privileged?: boolean;
  readonlyRootfs?: boolean;
  /** The process and its children cannot gain privileges (allowPrivilegeEscalation: false). */
  noNewPrivs?: boolean;
  /** Unset: the image's user (root for the sandbox runtime, whose root filesystem is the host's). */
  runAsUser?: number;
  runAsGroup?: number;
  /** fsGroup first, then the pod's supplementalGroups, as the kubelet sends them. */
  supplementalGroups?: number[];
  /** Paths hidden from the container (empty: none; unset: the runtime's defaults). */
  maskedPaths?: string[];
  /** Paths the container sees read-only (empty: none; unset: the runtime's defaults). */
  readonlyPaths?: string[];
}

/** A host device node made available in the container (CRI `Device`). */
export interface Device {
  containerPath: string;
  hostPath: string;
  /** cgroup access: any of `r`, `w`, `m`. */
  permissions: string;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  /** The image reference, informational for runtimes that do not pull images. */
  image: string;
  command: string[];
  args: string[];
  workingDir?: string;
  /** In order; later duplicates win, as in the CRI. */
  env: { name: string; value: string }[];
  mounts: Mount[];
  /** Relative to the sandbox's logDirectory, e.g. `c/0.log`. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  stdin?: boolean;
  /** Close the container's stdin once the first attach session that sent input ended (not with a TTY). */
  stdinOnce?: boolean;
  tty?: boolean;
  resources?: LinuxContainerResources;
  /** The identity the process runs as (securityContext runAsUser/runAsGroup); unset: the runtime's own. */
  user?: { uid: number; gid?: number; supplementalGroups?: number[] };
  /** Linux security settings (the sandbox runtime honours them all; the process runtime only `user` above). */
  securityContext?: LinuxContainerSecurityContext;
  /** Host device nodes the container gets (CRI Device), e.g. its GPUs; runtimes without device isolation ignore them. */
  devices?: Device[];
}

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  image: string;
  /** Unix ms; 0 when not reached. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** For exited containers: `Completed` (exit 0), `Error`, or `OOMKilled`. */
  reason: string;
  message: string;
  /** Absolute path of the current log file. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ExecStreamOptions {
  /** Give the command a pseudo-terminal (its stderr then joins stdout). */
  tty: boolean;
  /** Give the command a stdin stream (else it reads /dev/null). */
  stdin: boolean;
}

/** A command started by `exec`, with its stdio as streams. */
export interface ExecProcess {
  /** Present when stdin was asked for; ending it is the command's end of input. */
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a TTY. */
  stderr?: Readable;
  /** The exit code, once the command exited and its output was read (-1 or 128+n for signals). */
  exited: Promise<number>;
  /** Sets the terminal's size (TTY only; a no-op otherwise). */
  resize(width: number, height: number): void;
  /** Kills the command and everything it started. */
  kill(): void;
}

/**
 * One attach session on a container's main process (CRI Attach). Output is not part of it: the
 * session reads the container's log, which every runtime writes as the process writes.
 */
export interface ContainerAttachment {
  /**
   * Writes to the process's stdin; present when the container has stdin, input was asked for and
   * stdin was not closed. Ending it ends this session's input only.
   */
  stdin?: Writable;
  /** Closes the container's stdin for good: the process reads end of input (CRI CloseIO). */
  closeStdin(): Promise<void>;
  /** Sets the size of the container's terminal (TTY containers only; a no-op otherwise). */
  resize(width: number, height: number): void;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** Why a runtime call failed, in the kubelet's waiting-reason vocabulary. */
export type RuntimeErrorReason = 'CreateContainerError' | 'CreateContainerConfigError' | 'RunContainerError' | 'NotFound' | 'Unavailable';

export class RuntimeError extends Error {
  constructor(
    readonly reason: RuntimeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** Where a container's resource usage can be read: its cgroup when it has one, else its process session. */
export interface ContainerStatsSource {
  /** The session every process of the container belongs to (the process runtime: its wrapper's pid). */
  sessionId?: number;
  /** The container's own cgroup: a v2 directory, or the v1 cpuacct and memory directories. */
  cgroup?: { version: 2; dir: string } | { version: 1; cpuacctDir: string; memoryDir: string };
}

export interface RuntimeEvents {
  /** A container left the running state (exited or was killed); the agent re-syncs its pod. */
  onContainerExit?: (status: ContainerStatus) => void;
}

export interface ContainerRuntime {
  /** `process` or `sandbox`. */
  readonly name: string;
  version(): { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string };
  /**
   * False when containers have no filesystem of their own, so volumes cannot be mounted: the
   * runtime skips optional mounts and refuses containers with other mounts. Default true.
   */
  readonly honoursMounts?: boolean;
  /** False when containers run without cgroups, so CPU and memory limits are not enforced. Default true. */
  readonly enforcesResources?: boolean;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (killing them) and releases its resources; idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes a stopped sandbox and its containers; idempotent. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined>;
  listPodSandboxes(): Promise<PodSandboxStatus[]>;

  /** Throws RuntimeError('CreateContainerError') with a clear message when the config cannot run. */
  createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds` (0: at once); resolves once it has exited; idempotent. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]>;

  /** Runs a command in the container's context and collects its output (exec probes, `kubectl exec` without a stream). */
  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult>;

  /** Optional: where a running container's CPU and memory can be read (resource stats); undefined when it is not running. */
  containerStatsSource?(id: string): Promise<ContainerStatsSource | undefined>;

  /**
   * Starts a command in a running container's context with streamed stdio (`kubectl exec`, `cp`).
   * Throws RuntimeError('NotFound') for an unknown or stopped container and
   * RuntimeError('RunContainerError') when the command cannot be started (message in runc's words).
   */
  exec?(id: string, cmd: string[], opts: ExecStreamOptions): Promise<ExecProcess>;

  /**
   * Attaches to a running container's main process (`kubectl attach`, `run -i`). Throws
   * RuntimeError('NotFound') for an unknown or stopped container.
   */
  attach?(id: string, opts: { stdin: boolean }): Promise<ContainerAttachment>;

  /** Stops watching (containers keep running: a restarted agent re-adopts them). */
  close(): Promise<void>;
}
