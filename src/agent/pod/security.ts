/**
 * The container's identity from its security context (securitycontext.DetermineEffectiveSecurityContext:
 * container settings override the pod's), and the kubelet's runAsNonRoot check
 * (verifyRunAsNonRoot). A container without runAsUser runs as its image's user; the process
 * runtime runs no image, so its "image user" is the agent's own uid.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { podSupplementalGroups } from './security-context.js';

export interface EffectiveUser {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
}

export function effectiveUser(pod: Pod, container: Container): EffectiveUser {
  const p = pod.spec?.securityContext ?? {};
  const c = container.securityContext ?? {};
  const out: EffectiveUser = {};
  const runAsUser = c.runAsUser ?? p.runAsUser;
  const runAsGroup = c.runAsGroup ?? p.runAsGroup;
  const runAsNonRoot = c.runAsNonRoot ?? p.runAsNonRoot;
  if (runAsUser !== undefined && runAsUser !== null) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined && runAsGroup !== null) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined && runAsNonRoot !== null) out.runAsNonRoot = runAsNonRoot;
  const groups = podSupplementalGroups(pod);
  if (groups.length) out.supplementalGroups = groups;
  return out;
}

/**
 * The runtime's user for the container: set when the spec names a user, a group or extra groups
 * (these alone apply to the image's user, `imageUid`, as the kubelet sends it).
 */
export function runtimeUser(u: EffectiveUser, imageUid?: number): { uid: number; gid?: number; supplementalGroups?: number[] } | undefined {
  const uid = u.runAsUser ?? (u.runAsGroup !== undefined || u.supplementalGroups ? imageUid : undefined);
  if (uid === undefined) return undefined;
  return { uid, ...(u.runAsGroup !== undefined ? { gid: u.runAsGroup } : {}), ...(u.supplementalGroups ? { supplementalGroups: u.supplementalGroups } : {}) };
}

const formatPod = (pod: Pod) => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

/** The kubelet's error when runAsNonRoot cannot hold (a CreateContainerConfigError), else undefined. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUid: number | undefined): string | undefined {
  const u = effectiveUser(pod, container);
  if (!u.runAsNonRoot) return undefined;
  if (u.runAsUser !== undefined) {
    return u.runAsUser === 0 ? `container's runAsUser breaks non-root policy (pod: ${JSON.stringify(formatPod(pod))}, container: ${container.name})` : undefined;
  }
  if (imageUid === 0) return `container has runAsNonRoot and image will run as root (pod: ${JSON.stringify(formatPod(pod))}, container: ${container.name})`;
  return undefined;
}
