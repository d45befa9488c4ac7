/**
 * Sorting a pod's PersistentVolumeClaims into bound, delayed (WaitForFirstConsumer) and unbound
 * immediate claims, and checking bound volumes' node affinity (after
 * pkg/scheduler/framework/plugins/volumebinding/binder.go and volume_binding.go podHasPVCs).
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ClusterListers } from '../../framework/interface.js';
import { matchNodeSelectorTerm, matchNodeSelectorTerms } from '../pod-topology-spread/node-inclusion.js';

export const errReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
export const errReasonNodeConflict = 'node(s) had volume node affinity conflict';
export const errReasonUnboundImmediate = 'pod has unbound immediate PersistentVolumeClaims';

const annBindCompleted = 'pv.kubernetes.io/bind-completed';
const annBetaStorageClass = 'volume.beta.kubernetes.io/storage-class';

export interface PodVolumeClaims {
  bound: PersistentVolumeClaim[];
  /** WaitForFirstConsumer claims with their StorageClass. */
  delayed: { claim: PersistentVolumeClaim; storageClass: StorageClass }[];
  unboundImmediate: PersistentVolumeClaim[];
}

/** The claim names of the pod's volumes; a generic ephemeral volume's claim is `<pod>-<volume>`. */
function podClaimNames(pod: Pod): { name: string; ephemeral: boolean }[] {
  const out: { name: string; ephemeral: boolean }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim) out.push({ name: v.persistentVolumeClaim.claimName, ephemeral: false });
    else if (v.ephemeral) out.push({ name: `${pod.metadata?.name}-${v.name}`, ephemeral: true });
  }
  return out;
}

/** A claim is bound once it names its volume and the binding completed (or its phase says Bound). */
function isFullyBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName && (Object.hasOwn(pvc.metadata?.annotations ?? {}, annBindCompleted) || pvc.status?.phase === 'Bound');
}

function storageClassName(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[annBetaStorageClass] ?? pvc.spec?.storageClassName ?? '';
}

export type ClaimsResult = { ok: true; claims: PodVolumeClaims | undefined } | { ok: false; unresolvable: boolean; message: string };

/**
 * Resolves the pod's claims. `claims: undefined` means the pod uses no claims. A missing, lost or
 * deleted claim is UnschedulableAndUnresolvable (until a claim event requeues the pod); the claim
 * of a missing StorageClass counts as unbound immediate, as upstream.
 */
export function getPodVolumeClaims(pod: Pod, listers: ClusterListers): ClaimsResult {
  const names = podClaimNames(pod);
  if (names.length === 0) return { ok: true, claims: undefined };
  const ns = pod.metadata?.namespace ?? '';
  const claims: PodVolumeClaims = { bound: [], delayed: [], unboundImmediate: [] };
  for (const { name, ephemeral } of names) {
    const pvc = listers.persistentVolumeClaim(ns, name);
    if (!pvc) {
      const message = ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"` : `persistentvolumeclaim "${name}" not found`;
      return { ok: false, unresolvable: true, message };
    }
    if (pvc.status?.phase === 'Lost') return { ok: false, unresolvable: true, message: `persistentvolumeclaim "${name}" bound to non-existent persistentvolume "${pvc.spec?.volumeName ?? ''}"` };
    if (pvc.metadata?.deletionTimestamp) return { ok: false, unresolvable: true, message: `persistentvolumeclaim "${name}" is being deleted` };
    if (ephemeral && !pvc.metadata?.ownerReferences?.some((o) => o.controller && o.uid === pod.metadata?.uid))
      return { ok: false, unresolvable: true, message: `PVC ${ns}/${name} was not created for pod ${ns}/${pod.metadata?.name} (pod is not owner)` };
    if (isFullyBound(pvc)) {
      claims.bound.push(pvc);
      continue;
    }
    const className = storageClassName(pvc);
    if (className) {
      // A class that does not exist binds immediately (volume.IsDelayBindingMode answers false on
      // NotFound): the claim waits for the PV controller like any unbound immediate claim.
      const sc = listers.storageClass(className);
      if (sc?.volumeBindingMode === 'WaitForFirstConsumer') {
        claims.delayed.push({ claim: pvc, storageClass: sc });
        continue;
      }
    }
    claims.unboundImmediate.push(pvc);
  }
  return { ok: true, claims };
}

/** volume.CheckNodeAffinity: a PV without required node affinity fits every node. */
export function pvFitsNode(pv: PersistentVolume, node: Node | undefined): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  // The volume helper matches against the node's labels only (not its name).
  return matchNodeSelectorTerms(required.nodeSelectorTerms ?? [], { metadata: { labels: node?.metadata?.labels ?? {} } });
}

/** A StorageClass's allowedTopologies (ORed terms of ANDed label requirements) admit the node. */
export function allowedTopologiesFit(sc: StorageClass, node: Node | undefined): boolean {
  const terms = sc.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  const labels = node?.metadata?.labels ?? {};
  return terms.some((t) => {
    const exprs = t.matchLabelExpressions ?? [];
    if (exprs.length === 0) return false;
    return matchNodeSelectorTerm({ matchExpressions: exprs.map((e) => ({ key: e.key, operator: 'In', values: e.values })) }, labels, '');
  });
}
