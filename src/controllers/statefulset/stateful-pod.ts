/**
 * The identity and storage of a StatefulSet's pods (`pkg/controller/statefulset/stateful_set_utils.go`):
 * pod `<set>-<ordinal>` with hostname = its name and subdomain = the governing Service, the
 * `statefulset.kubernetes.io/pod-name` / `apps.kubernetes.io/pod-index` labels, one PVC
 * `<claim>-<set>-<ordinal>` per volumeClaimTemplate, and the claims' owner references that
 * implement `persistentVolumeClaimRetentionPolicy`.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../../api/object.js';
import { controllerRef } from '../history/controller-revision.js';

export type StatefulSetObject = StatefulSet & ApiObject;
export type PodObject = Pod & ApiObject;
export type ClaimObject = PersistentVolumeClaim & ApiObject;

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';
/** On a StatefulSet's pods the label holds the revision's name, e.g. `web-7c5d8f6b9`. */
export const statefulSetRevisionLabel = 'controller-revision-hash';

const ordinalRe = /^(.*)-(\d+)$/;

/** `getParentNameAndOrdinal`: the ordinal of a pod named `<parent>-<n>`, or -1. */
export function parentNameAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = ordinalRe.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 0x7fffffff ? { parent: m[1]!, ordinal: n } : { parent: '', ordinal: -1 };
}

/** The ordinal of one of `set`'s pods, or -1 when the pod's name is not `<set>-<n>`. */
export function podOrdinal(set: StatefulSetObject, pod: Pod): number {
  const { parent, ordinal } = parentNameAndOrdinal(pod.metadata?.name ?? '');
  return parent === set.metadata.name ? ordinal : -1;
}

export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;
export const replicaCount = (set: StatefulSet): number => set.spec?.replicas ?? 1;
/** One past the last ordinal that should exist. */
export const endOrdinal = (set: StatefulSet): number => startOrdinal(set) + replicaCount(set);
export const inOrdinalRange = (set: StatefulSetObject, ordinal: number): boolean => ordinal >= startOrdinal(set) && ordinal < endOrdinal(set);

export const statefulPodName = (set: StatefulSetObject, ordinal: number): string => `${set.metadata.name}-${ordinal}`;

/** `getPersistentVolumeClaimName`: `<claim template>-<set>-<ordinal>`. */
export const claimName = (set: StatefulSetObject, template: string, ordinal: number): string => `${template}-${set.metadata.name}-${ordinal}`;

export function setControllerRef(set: StatefulSetObject): OwnerReference {
  return controllerRef({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata });
}

/** `getPersistentVolumeClaims`: the claims of one ordinal, keyed by template name; labels merge the selector's matchLabels. */
export function claimsForOrdinal(set: StatefulSetObject, ordinal: number): Map<string, ClaimObject> {
  const out = new Map<string, ClaimObject>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const tname = t.metadata?.name ?? '';
    const { status: _status, ...copy } = JSON.parse(JSON.stringify(t)) as ClaimObject;
    const claim = copy as ClaimObject;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    claim.metadata = { ...claim.metadata, name: claimName(set, tname, ordinal), namespace: set.metadata.namespace };
    claim.metadata.labels = { ...claim.metadata.labels, ...set.spec?.selector?.matchLabels };
    out.set(tname, claim);
  }
  return out;
}

/** `newStatefulSetPod` from `set`'s template (already the wanted revision's), with identity, storage and revision. */
export function newStatefulSetPod(set: StatefulSetObject, ordinal: number, revisionName: string): PodObject {
  const tpl = JSON.parse(JSON.stringify(set.spec?.template ?? {})) as NonNullable<StatefulSet['spec']>['template'];
  const name = statefulPodName(set, ordinal);
  const pod: PodObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...tpl.metadata?.labels, [statefulSetRevisionLabel]: revisionName },
      ...(tpl.metadata?.annotations ? { annotations: { ...tpl.metadata.annotations } } : {}),
      ...(tpl.metadata?.finalizers ? { finalizers: [...tpl.metadata.finalizers] } : {}),
      ownerReferences: [setControllerRef(set)],
    },
    spec: tpl.spec ?? { containers: [] },
  };
  applyIdentity(set, pod, ordinal);
  applyStorage(set, pod, ordinal);
  return pod;
}

/** `updateIdentity` / `initIdentity`: name labels, hostname and subdomain. */
export function applyIdentity(set: StatefulSetObject, pod: PodObject, ordinal: number): void {
  pod.metadata.labels = { ...pod.metadata.labels, [podNameLabel]: pod.metadata.name!, [podIndexLabel]: String(ordinal) };
  if (pod.spec) {
    pod.spec.hostname = pod.metadata.name;
    if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  }
}

/** `updateStorage`: a volume per claim template, named as the template, replacing any of that name. */
export function applyStorage(set: StatefulSetObject, pod: PodObject, ordinal: number): void {
  const claims = claimsForOrdinal(set, ordinal);
  if (claims.size === 0 || !pod.spec) return;
  const volumes: Volume[] = [];
  for (const [tname, claim] of claims) volumes.push({ name: tname, persistentVolumeClaim: { claimName: claim.metadata.name! } });
  for (const v of pod.spec.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec.volumes = volumes;
}

/** `identityMatches`: name, namespace and name/index labels are the ordinal's. */
export function identityMatches(set: StatefulSetObject, pod: PodObject): boolean {
  const ordinal = podOrdinal(set, pod);
  return (
    ordinal >= 0 &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[podNameLabel] === pod.metadata.name &&
    pod.metadata.labels?.[podIndexLabel] === String(ordinal)
  );
}

/** `storageMatches`: every claim template's volume points at the ordinal's claim. */
export function storageMatches(set: StatefulSetObject, pod: PodObject): boolean {
  const ordinal = podOrdinal(set, pod);
  if (ordinal < 0) return false;
  const vols = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [tname, claim] of claimsForOrdinal(set, ordinal)) {
    if (vols.get(tname)?.persistentVolumeClaim?.claimName !== claim.metadata.name) return false;
  }
  return true;
}

export const podRevision = (pod: Pod): string | undefined => pod.metadata?.labels?.[statefulSetRevisionLabel];

type Policy = 'Retain' | 'Delete';

/**
 * `updateClaimOwnerRefForSetAndPod`: the owner references a claim should have under the set's
 * retention policy — the set's (whenDeleted: Delete, pod in range) and/or the pod's
 * (whenScaled: Delete, pod scaled away) — keeping unrelated references. Undefined when unchanged.
 */
export function claimOwnerRefsFor(set: StatefulSetObject, pod: PodObject, claim: ClaimObject): OwnerReference[] | undefined {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
  const whenDeleted: Policy = (policy?.whenDeleted as Policy) ?? 'Retain';
  const whenScaled: Policy = (policy?.whenScaled as Policy) ?? 'Retain';
  const scaledDown = !inOrdinalRange(set, podOrdinal(set, pod));
  const wantSet = whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown);
  const wantPod = whenScaled === 'Delete' && scaledDown;
  const setUid = set.metadata.uid;
  const podUid = pod.metadata.uid;
  const refs = claim.metadata.ownerReferences ?? [];
  let next = refs.filter((r) => r.uid !== setUid && r.uid !== podUid);
  if (wantSet) next = [...next, refs.find((r) => r.uid === setUid) ?? { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: setUid ?? '' }];
  if (wantPod && podUid) next = [...next, refs.find((r) => r.uid === podUid) ?? { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: podUid }];
  const same = next.length === refs.length && next.every((r) => refs.some((o) => o.uid === r.uid));
  return same ? undefined : next;
}
