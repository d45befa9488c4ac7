/**
 * The volume binder's decisions, pure (after pkg/scheduler/framework/plugins/volumebinding/binder.go
 * FindPodVolumes, AssumePodVolumes and checkBindings): which static volume or dynamic provisioning
 * serves each WaitForFirstConsumer claim on a node, the objects PreBind writes for that choice, and
 * whether the API shows the binding complete.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
// The matching rules are shared with the PV controller, as upstream shares pkg/volume/util.
import { annBindCompleted, annBoundByController, annSelectedNode, claimReference, findMatchingVolume, isVolumeBoundToClaim, requestedStorage } from '../../../controllers/persistentvolume/matching.js';
import { type PodVolumeClaims, allowedTopologiesFit, errReasonBindConflict, errReasonNodeConflict, pvFitsNode } from './claims.js';

const noProvisioner = 'kubernetes.io/no-provisioner';

/** What PreBind writes for a pod on its node (upstream PodVolumes). */
export interface PodVolumes {
  /** Static volumes, each as it will be written: claimRef set to its claim. */
  staticBindings: { pv: PersistentVolume; pvc: PersistentVolumeClaim }[];
  /** Claims to provision, each as it will be written: selected-node set. */
  dynamicProvisions: PersistentVolumeClaim[];
}

export type FindResult = { error: string } | { reasons: string[]; podVolumes: PodVolumes };

export const claimKey = (pvc: PersistentVolumeClaim): string => `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;

/** GetBindVolumeToClaim: the volume with its claimRef on the claim (and bound-by-controller unless pre-bound). */
export function volumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): PersistentVolume {
  const out = JSON.parse(JSON.stringify(pv)) as PersistentVolume;
  if (!isVolumeBoundToClaim(pv, pvc)) out.metadata = { ...out.metadata, annotations: { ...(out.metadata?.annotations ?? {}), [annBoundByController]: 'yes' } };
  out.spec = { ...out.spec, claimRef: claimReference(pvc) };
  return out;
}

/** The claim with the scheduler's choice of node, for its provisioner. */
export function claimWithSelectedNode(pvc: PersistentVolumeClaim, node: string): PersistentVolumeClaim {
  const out = JSON.parse(JSON.stringify(pvc)) as PersistentVolumeClaim;
  out.metadata = { ...out.metadata, annotations: { ...(out.metadata?.annotations ?? {}), [annSelectedNode]: node } };
  return out;
}

/**
 * FindPodVolumes for one node: bound volumes must admit the node; each delayed claim (smallest
 * request first) takes the smallest matching Available volume the node can reach, else must be
 * provisionable there (a provisioner, and allowedTopologies admitting the node).
 */
export function findPodVolumes(claims: PodVolumeClaims, node: Node | undefined, volumes: readonly PersistentVolume[], boundVolume: (name: string) => PersistentVolume | undefined): FindResult {
  const reasons: string[] = [];
  for (const pvc of claims.bound) {
    const name = pvc.spec!.volumeName!;
    const pv = boundVolume(name);
    if (!pv) return { error: `persistentvolume "${name}" not found` };
    if (!pvFitsNode(pv, node)) {
      reasons.push(errReasonNodeConflict);
      break;
    }
  }
  const podVolumes: PodVolumes = { staticBindings: [], dynamicProvisions: [] };
  const nodeName = node?.metadata?.name ?? '';
  const chosen = new Set<string>();
  const delayed = [...claims.delayed].sort((a, b) => requestedStorage(a.claim).cmp(requestedStorage(b.claim)));
  let unboundSatisfied = true;
  for (const { claim, storageClass } of delayed) {
    const pv = findMatchingVolume(claim, volumes, { delayBinding: true, nodeFits: (v) => pvFitsNode(v, node), excluded: chosen });
    if (pv) {
      chosen.add(pv.metadata?.name ?? '');
      podVolumes.staticBindings.push({ pv: volumeBoundToClaim(pv, claim), pvc: claim });
      continue;
    }
    if (storageClass.provisioner === noProvisioner || !allowedTopologiesFit(storageClass, node)) {
      unboundSatisfied = false;
      continue;
    }
    podVolumes.dynamicProvisions.push(claimWithSelectedNode(claim, nodeName));
  }
  if (!unboundSatisfied) reasons.push(errReasonBindConflict);
  return { reasons, podVolumes };
}

const fullyBound = (pvc: PersistentVolumeClaim): boolean => !!pvc.spec?.volumeName && Object.hasOwn(pvc.metadata?.annotations ?? {}, annBindCompleted);

export interface BindingView {
  claim(key: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  /** True when the informer still shows a version older than the one PreBind wrote. */
  stale(obj: { metadata?: { resourceVersion?: string } } | undefined, written: string | undefined): boolean;
}

export type CheckResult = { done: boolean } | { error: string };

/** checkBindings: done once every claim is bound; an error when the binding cannot complete. */
export function checkBindings(podVolumes: PodVolumes, written: ReadonlyMap<string, string>, node: Node | undefined, view: BindingView): CheckResult {
  const nodeName = node?.metadata?.name ?? '';
  let done = true;
  for (const { pv: wanted, pvc: claim } of podVolumes.staticBindings) {
    const name = wanted.metadata?.name ?? '';
    const pv = view.volume(name);
    const pvc = view.claim(claimKey(claim));
    if (!pv) return { error: `failed to check binding: persistentvolume "${name}" not found` };
    if (!pvc) return { error: `failed to check binding: persistentvolumeclaim "${claimKey(claim)}" not found` };
    if (view.stale(pv, written.get(`pv/${name}`))) {
      done = false;
      continue;
    }
    if (!pvFitsNode(pv, node)) return { error: `pv "${name}" node affinity doesn't match node "${nodeName}": no matching NodeSelectorTerms` };
    if (!pv.spec?.claimRef?.uid) return { error: `ClaimRef got reset for pv "${name}"` };
    if (!fullyBound(pvc)) done = false;
  }
  for (const claim of podVolumes.dynamicProvisions) {
    const key = claimKey(claim);
    const pvc = view.claim(key);
    if (!pvc) return { error: `failed to check provisioning pvc: persistentvolumeclaim "${key}" not found` };
    if (view.stale(pvc, written.get(`pvc/${key}`))) {
      done = false;
      continue;
    }
    // A provisioner that gives up removes the annotation to have the pod scheduled again.
    if (pvc.metadata?.annotations?.[annSelectedNode] !== nodeName) return { error: `selectedNode annotation reset for PVC "${pvc.metadata?.name}"` };
    if (pvc.spec?.volumeName) {
      const pv = view.volume(pvc.spec.volumeName);
      if (!pv) {
        done = false;
        continue;
      }
      if (!pvFitsNode(pv, node)) return { error: `pv "${pv.metadata?.name}" node affinity doesn't match node "${nodeName}": no matching NodeSelectorTerms` };
    }
    if (!fullyBound(pvc)) done = false;
  }
  return { done };
}
