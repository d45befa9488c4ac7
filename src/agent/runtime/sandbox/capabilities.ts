/**
 * A sandbox container's capability set, as containerd's CRI plugin computes it: containerd's
 * default set, `ALL` in add (every capability the agent holds) or drop (none) applied first, then
 * the named additions, then the named drops; privileged containers get every capability the
 * agent holds. Names are accepted with or without the `CAP_` prefix, in any case. The set is
 * the same whatever the user and the ambient set stays empty, as under containerd: a non-root
 * process keeps the bounding set but the kernel empties its effective set when it execs.
 */
import type { LinuxContainerSecurityContext } from '../runtime.js';

/** The capabilities containerd gives a container that asks for none (pkg/oci/spec.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Linux capabilities by number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** `net_admin` → `CAP_NET_ADMIN`; `ALL` stays `ALL`. */
export function capabilityName(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The capability names of a /proc/<pid>/status mask (hex, bit n = capability n); unknown bits are left out. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return CAPABILITY_NAMES.filter((_, n) => (mask >> BigInt(n)) & 1n);
}

/** The capabilities a process holds, from its /proc/<pid>/status text (its effective set, as containerd reads its own). */
export function heldCapabilities(procStatus: string): string[] {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(procStatus);
  return m ? capabilitiesFromMask(m[1]!) : [];
}

/** The hex mask of a set of capability names (for comparing with /proc/<pid>/status). */
export function capabilityMask(names: string[]): string {
  let mask = 0n;
  for (const n of names) {
    const i = CAPABILITY_NAMES.indexOf(capabilityName(n));
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask.toString(16).padStart(16, '0');
}

/**
 * The container's bounding (= effective = permitted) set. `all`: the capabilities the agent
 * holds, used for `privileged` and for `ALL` in add. Unknown names pass through for runc to judge.
 */
export function containerCapabilities(sc: LinuxContainerSecurityContext | undefined, all: string[]): string[] {
  if (sc?.privileged) return [...all];
  const add = (sc?.capabilities?.addCapabilities ?? []).map(capabilityName);
  const drop = (sc?.capabilities?.dropCapabilities ?? []).map(capabilityName);
  let caps = [...DEFAULT_CAPABILITIES];
  if (add.includes('ALL')) caps = [...all];
  if (drop.includes('ALL')) caps = [];
  for (const c of add) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  return caps.filter((c) => !drop.includes(c));
}
