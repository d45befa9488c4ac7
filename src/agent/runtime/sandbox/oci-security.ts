/**
 * The parts of a sandbox container's OCI config that its security context decides, as
 * containerd's CRI plugin sets them (container_create_linux.go): the process identity and
 * capabilities, no_new_privs, a read-only root, the masked and read-only paths, and, for a
 * privileged container, every capability, the host's devices, writable /sys and /sys/fs/cgroup
 * and no masked paths. Seccomp and AppArmor are not applied: containers run unconfined.
 */
import type { LinuxContainerSecurityContext } from '../runtime.js';
import { containerCapabilities } from './capabilities.js';
import type { ProcessUser } from './container-user.js';

/** runc's own defaults when the kubelet sends none (runc spec). */
export const RUNC_MASKED_PATHS = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
export const RUNC_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** A device node the container gets (OCI linux.devices). */
export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

export interface SecurityInput {
  securityContext?: LinuxContainerSecurityContext;
  /** Resolved against the container's /etc/passwd and /etc/group (container-user.ts); default root. */
  user?: ProcessUser;
  /** Every capability the agent holds: a privileged container's set and what `ALL` in add means. */
  allCapabilities?: string[];
  /** The host's device nodes (privileged containers only). */
  hostDevices?: OciDevice[];
  /** Device nodes the container asked for (ContainerConfig.devices, e.g. GPUs), allowed in its device cgroup. */
  extraDevices?: { device: OciDevice; access: string }[];
}

export interface ProcessSecurity {
  user: { uid: number; gid: number; additionalGids?: number[] };
  capabilities: Record<'bounding' | 'effective' | 'permitted' | 'ambient', string[]>;
  noNewPrivileges: boolean;
}

export interface LinuxSecurity {
  maskedPaths: string[];
  readonlyPaths: string[];
  devices?: OciDevice[];
  deviceRules: OciDeviceRule[];
}

/** process.user, process.capabilities and process.noNewPrivileges. */
export function processSecurity(input: SecurityInput): ProcessSecurity {
  const sc = input.securityContext;
  const user = input.user ?? { uid: 0, gid: 0, additionalGids: [] };
  const caps = containerCapabilities(sc, input.allCapabilities ?? []);
  return {
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
    capabilities: { bounding: caps, effective: caps, permitted: [...caps], ambient: [] },
    // The API refuses allowPrivilegeEscalation: false together with privileged.
    noNewPrivileges: !!sc?.noNewPrivs && !sc.privileged,
  };
}

/** The masked and read-only paths and the device settings. */
export function linuxSecurity(input: SecurityInput): LinuxSecurity {
  const sc = input.securityContext;
  if (sc?.privileged) {
    return { maskedPaths: [], readonlyPaths: [], devices: input.hostDevices ?? [], deviceRules: [{ allow: true, access: 'rwm' }] };
  }
  const extra = input.extraDevices ?? [];
  return {
    maskedPaths: sc?.maskedPaths ?? RUNC_MASKED_PATHS,
    readonlyPaths: sc?.readonlyPaths ?? RUNC_READONLY_PATHS,
    ...(extra.length ? { devices: extra.map((e) => e.device) } : {}),
    deviceRules: [{ allow: false, access: 'rwm' }, ...extra.map(({ device: d, access }) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access }))],
  };
}

/** Whether the container's root filesystem is mounted read-only. */
export function readonlyRoot(sc: LinuxContainerSecurityContext | undefined): boolean {
  return !!sc?.readonlyRootfs;
}
