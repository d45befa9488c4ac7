/**
 * The container's effective security context and the CRI security settings the kubelet sends for
 * it (pkg/securitycontext DetermineEffectiveSecurityContext and kuberuntime's
 * determineEffectiveSecurityContext): the pod's identity fields apply unless the container sets
 * its own; capabilities, privileged, readOnlyRootFilesystem, allowPrivilegeEscalation and
 * procMount are the container's alone; fsGroup and the pod's supplementalGroups become the
 * supplemental groups; procMount picks the masked and read-only /proc paths.
 * Seccomp and AppArmor profiles are not applied (containers run unconfined).
 */
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { LinuxContainerSecurityContext } from '../runtime/runtime.js';

/** What the kubelet hides from a container unless its procMount is Unmasked (pkg/securitycontext). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** What the kubelet makes read-only unless procMount is Unmasked. */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** The container's securityContext with the pod's identity settings filled in where it has none. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const out: SecurityContext = {};
  if (present(p.runAsUser)) out.runAsUser = p.runAsUser;
  if (present(p.runAsGroup)) out.runAsGroup = p.runAsGroup;
  if (present(p.runAsNonRoot)) out.runAsNonRoot = p.runAsNonRoot;
  if (p.seLinuxOptions) out.seLinuxOptions = { ...p.seLinuxOptions };
  if (p.seccompProfile) out.seccompProfile = { ...p.seccompProfile };
  if (p.appArmorProfile) out.appArmorProfile = { ...p.appArmorProfile };
  for (const [k, v] of Object.entries(container.securityContext ?? {})) {
    if (present(v)) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The pod-level groups every container gets: fsGroup, then supplementalGroups (in the kubelet's order). */
export function podSupplementalGroups(pod: Pod): number[] {
  const p = pod.spec?.securityContext ?? {};
  return [...(present(p.fsGroup) ? [p.fsGroup] : []), ...(p.supplementalGroups ?? [])];
}

/** The CRI LinuxContainerSecurityContext the kubelet sends for `container`. */
export function linuxSecurityContext(pod: Pod, container: Container): LinuxContainerSecurityContext {
  const sc = effectiveSecurityContext(pod, container);
  const out: LinuxContainerSecurityContext = {};
  if (sc.capabilities) out.capabilities = { addCapabilities: [...(sc.capabilities.add ?? [])], dropCapabilities: [...(sc.capabilities.drop ?? [])] };
  if (sc.privileged) out.privileged = true;
  if (sc.readOnlyRootFilesystem) out.readonlyRootfs = true;
  // Only an explicit false sets no_new_privs; unset leaves escalation allowed.
  if (sc.allowPrivilegeEscalation === false) out.noNewPrivs = true;
  if (present(sc.runAsUser)) out.runAsUser = sc.runAsUser;
  if (present(sc.runAsGroup)) out.runAsGroup = sc.runAsGroup;
  const groups = podSupplementalGroups(pod);
  if (groups.length > 0) out.supplementalGroups = groups;
  const unmasked = sc.procMount === 'Unmasked';
  out.maskedPaths = unmasked ? [] : [...DEFAULT_MASKED_PATHS];
  out.readonlyPaths = unmasked ? [] : [...DEFAULT_READONLY_PATHS];
  return out;
}
