/**
 * Which ReplicaSets a Deployment owns (`ReplicaSetControllerRefManager.ClaimReplicaSets` over
 * `BaseControllerRefManager.ClaimObject` in `pkg/controller/controller_ref_manager.go`): its own
 * ones that still match its selector are kept, its own ones that no longer match are released,
 * and matching orphans are adopted; ReplicaSets controlled by anything else are left alone.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Selector } from '../../api/labels.js';
import { controllerOf, deploymentControllerRef } from './replica-set-util.js';

export type ClaimDecision = 'owned' | 'adopt' | 'release' | 'ignore';

/** The claim decision for one ReplicaSet; `selector` is the Deployment's. */
export function claimDecision(d: Deployment, selector: Selector, rs: ReplicaSet): ClaimDecision {
  const ref = controllerOf(rs);
  const matches = selector.matches(rs.metadata?.labels ?? {});
  if (ref) {
    if (ref.uid !== d.metadata?.uid) return 'ignore';
    if (matches) return 'owned';
    return d.metadata?.deletionTimestamp ? 'ignore' : 'release';
  }
  if (d.metadata?.deletionTimestamp || !matches) return 'ignore';
  if (rs.metadata?.deletionTimestamp) return 'ignore';
  if (d.metadata?.namespace && d.metadata.namespace !== rs.metadata?.namespace) return 'ignore';
  return 'adopt';
}

/** Strategic-merge patch that makes `d` the controller of the ReplicaSet with `rsUid` (uid guards against a recreated namesake). */
export function adoptPatch(d: Deployment, rsUid: string): unknown {
  return { metadata: { ownerReferences: [deploymentControllerRef(d)], uid: rsUid } };
}

/** Strategic-merge patch that drops `d`'s owner reference from the ReplicaSet with `rsUid`. */
export function releasePatch(d: Deployment, rsUid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: d.metadata?.uid }], uid: rsUid } };
}
