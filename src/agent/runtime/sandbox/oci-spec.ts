/**
 * The OCI runtime configuration (config.json) of a sandbox-runtime container, as a pure function
 * of plain data (the per-pod files it bind-mounts are ../pod-etc-files.ts). The shape follows runc's default spec
 * (`runc spec`) and containerd's defaults for the kubelet: mount, PID, IPC and UTS namespaces
 * (the network namespace is the pod's own in bridge mode, else the host's), the usual
 * pseudo-filesystems, rlimits inherited from the agent (as containerd does), cgroup limits from the
 * CRI's LinuxContainerResources, and what the container's security context decides (oci-security.ts).
 */
import path from 'node:path';
import type { LinuxContainerResources, Mount } from '../runtime.js';
import { linuxSecurity, processSecurity, readonlyRoot, type OciDevice, type OciDeviceRule, type ProcessSecurity, type SecurityInput } from './oci-security.js';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciSpecInput extends SecurityInput {
  /** Absolute path of the mounted root filesystem. */
  rootfs: string;
  hostname: string;
  /** argv of the container's first process. */
  args: string[];
  /** KEY=VALUE, in order. */
  env: string[];
  cwd: string;
  /** Bind mounts of the pod's files: /etc/hosts, /etc/resolv.conf, /etc/hostname → host files. */
  podFiles: { containerPath: string; hostPath: string }[];
  /** Volumes. */
  mounts: Mount[];
  /** Host directory mounted read-write at `statusDir` (where the init wrapper leaves the exit status). */
  statusDir: { hostPath: string; containerPath: string };
  /** Absolute cgroup path, e.g. /capstan/<sandbox>/<container>. */
  cgroupsPath: string;
  resources?: LinuxContainerResources;
  /** Share the host's network namespace (no network namespace of its own). */
  hostNetwork: boolean;
  /** The pod's network namespace to join (bridge mode); without it a non-host-network container gets a new, empty one. */
  netnsPath?: string;
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: ProcessSecurity['user'];
    args: string[];
    env: string[];
    cwd: string;
    capabilities: ProcessSecurity['capabilities'];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    devices?: OciDevice[];
    resources: {
      devices: OciDeviceRule[];
      memory?: { limit: number };
      cpu?: { shares?: number; quota?: number; period?: number };
    };
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/**
 * The pseudo-filesystems every container gets (runc's default spec, plus /sys/fs/cgroup read-only);
 * a privileged container's /sys and /sys/fs/cgroup are writable.
 */
export function standardMounts(privileged = false): OciMount[] {
  const ro = privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', ...ro] },
  ];
}

function bind(destination: string, source: string, readonly: boolean): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', readonly ? 'ro' : 'rw'] };
}

/** The config.json of one container. */
export function ociSpec(input: OciSpecInput): OciSpec {
  const namespaces: { type: string; path?: string }[] = ['pid', 'ipc', 'uts', 'mount'].map((type) => ({ type }));
  if (!input.hostNetwork) namespaces.push(input.netnsPath ? { type: 'network', path: input.netnsPath } : { type: 'network' });
  const volumes = input.mounts.map((m) => bind(path.posix.normalize(m.containerPath).replace(/(.)\/+$/, '$1'), m.hostPath, m.readonly));
  // A volume mounted over one of the pod's files (a user's own /etc/hosts) wins: it comes later.
  const podFiles = input.podFiles.filter((f) => !volumes.some((v) => v.destination === f.containerPath)).map((f) => bind(f.containerPath, f.hostPath, false));
  const proc = processSecurity(input);
  const sec = linuxSecurity(input);
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: proc.user,
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: proc.capabilities,
      noNewPrivileges: proc.noNewPrivileges,
    },
    root: { path: input.rootfs, readonly: readonlyRoot(input.securityContext) },
    hostname: input.hostname,
    mounts: [...standardMounts(!!input.securityContext?.privileged), ...podFiles, bind(input.statusDir.containerPath, input.statusDir.hostPath, false), ...volumes],
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      ...(sec.devices ? { devices: sec.devices } : {}),
      resources: { devices: sec.deviceRules, ...cgroupResources(input.resources) },
      maskedPaths: sec.maskedPaths,
      readonlyPaths: sec.readonlyPaths,
    },
  };
}

/** The memory and cpu sections of linux.resources; a field left unset (or 0) sets no limit. */
export function cgroupResources(r: LinuxContainerResources | undefined): Pick<OciSpec['linux']['resources'], 'memory' | 'cpu'> {
  const out: Pick<OciSpec['linux']['resources'], 'memory' | 'cpu'> = {};
  if (r?.memoryLimitBytes) out.memory = { limit: r.memoryLimitBytes };
  const cpu: { shares?: number; quota?: number; period?: number } = {};
  if (r?.cpuShares) cpu.shares = r.cpuShares;
  if (r?.cpuQuota) cpu.quota = r.cpuQuota;
  if (r?.cpuPeriod) cpu.period = r.cpuPeriod;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  return out;
}
