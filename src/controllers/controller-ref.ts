/**
 * Controller references and the claim decision (`pkg/controller/controller_ref_manager.go`): a
 * controller owns the objects whose controller ownerReference carries its uid, adopts orphans its
 * selector matches, and releases owned objects its selector no longer matches.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../api/object.js';
import type { Labels, Selector } from '../api/labels.js';

/** The ownerReference with `controller: true`, if any (upstream `metav1.GetControllerOf`). */
export function getControllerOf(obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The controller reference a controller puts on what it creates or adopts (`metav1.NewControllerRef`). */
export function newControllerRef(owner: ApiObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export type ClaimDecision = 'claim' | 'ignore' | 'adopt' | 'release';

/**
 * What a controller (uid `ownerUid`, being deleted or not) does with one candidate
 * (`BaseControllerRefManager.ClaimObject`):
 * - owned by another controller → ignore;
 * - owned by us: selector matches → claim; else release, unless we are being deleted (ignore);
 * - orphan: adopt when the selector matches and neither we nor it are being deleted; else ignore.
 */
export function claimDecision(
  candidate: { metadata?: { labels?: Labels; deletionTimestamp?: string; ownerReferences?: OwnerReference[] } },
  ownerUid: string,
  ownerDeleting: boolean,
  selector: Selector,
): ClaimDecision {
  const ref = getControllerOf(candidate);
  const matches = selector.matches(candidate.metadata?.labels ?? {});
  if (ref) {
    if (ref.uid !== ownerUid) return 'ignore';
    if (matches) return 'claim';
    return ownerDeleting ? 'ignore' : 'release';
  }
  if (ownerDeleting || !matches) return 'ignore';
  if (candidate.metadata?.deletionTimestamp) return 'ignore';
  return 'adopt';
}
