/**
 * The garbage collector's decisions about one dependent (`pkg/controller/garbagecollector/
 * garbagecollector.go` attemptToDeleteItem + classifyReferences). Pure: the owners' states are
 * looked up by the caller.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../../api/object.js';
import { foregroundFinalizer, orphanFinalizer } from './graph.js';

/** What became of one owner a dependent names. */
export type OwnerState = 'present' | 'absent' | 'deletingDependents';

export type DeletePolicy = 'Background' | 'Foreground' | 'Orphan';

export type DependentAction =
  | { kind: 'none' }
  /** Still has a live owner: drop the references to owners that are gone or being deleted in the foreground. */
  | { kind: 'removeRefs'; uids: string[] }
  /** Unset blockOwnerDeletion towards owners waiting on it, then delete it in the foreground (it has dependents itself). */
  | { kind: 'unblockAndDelete'; uids: string[]; policy: 'Foreground' }
  | { kind: 'delete'; policy: DeletePolicy };

export interface ClassifiedRefs {
  solid: OwnerReference[];
  dangling: OwnerReference[];
  waiting: OwnerReference[];
}

export function classifyReferences(refs: readonly OwnerReference[], state: (ref: OwnerReference) => OwnerState): ClassifiedRefs {
  const out: ClassifiedRefs = { solid: [], dangling: [], waiting: [] };
  for (const r of refs) {
    const s = state(r);
    if (s === 'absent') out.dangling.push(r);
    else if (s === 'deletingDependents') out.waiting.push(r);
    else out.solid.push(r);
  }
  return out;
}

/**
 * The action for `dependent` given the state of each owner it references and whether it has
 * dependents of its own. Objects without ownerReferences, and objects being deleted (other than
 * through their own foreground deletion, handled elsewhere), are left alone.
 */
export function dependentAction(dependent: ApiObject, state: (ref: OwnerReference) => OwnerState, hasDependents: boolean): DependentAction {
  const refs = dependent.metadata.ownerReferences ?? [];
  if (!refs.length || dependent.metadata.deletionTimestamp) return { kind: 'none' };
  const { solid, dangling, waiting } = classifyReferences(refs, state);
  if (solid.length) {
    const uids = [...dangling, ...waiting].map((r) => r.uid);
    return uids.length ? { kind: 'removeRefs', uids } : { kind: 'none' };
  }
  if (waiting.length && hasDependents) {
    return { kind: 'unblockAndDelete', uids: waiting.filter((r) => r.blockOwnerDeletion).map((r) => r.uid), policy: 'Foreground' };
  }
  const finalizers = dependent.metadata.finalizers ?? [];
  const policy: DeletePolicy = finalizers.includes(orphanFinalizer) ? 'Orphan' : finalizers.includes(foregroundFinalizer) ? 'Foreground' : 'Background';
  return { kind: 'delete', policy };
}
