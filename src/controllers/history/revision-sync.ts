/**
 * Finding or recording the ControllerRevision of a parent's current template, as the StatefulSet's
 * getStatefulSetRevisions and the DaemonSet's constructHistory do: an equal latest revision is
 * reused; an equal older one is renumbered to the next revision (a rollback); otherwise a new one
 * is created, counting hash collisions.
 */
import type { ApiClient } from '../../client/api-client.js';
import { type RevisionObject, type RevisionParent, equalRevision, findEqualRevisions, newControllerRevision, nextRevision, sortRevisions } from './controller-revision.js';
import { createControllerRevision, updateRevisionNumber } from './revision-history.js';

export interface SyncedRevision {
  revision: RevisionObject;
  collisionCount: number;
  /** All the parent's revisions, sorted, including `revision`. */
  revisions: RevisionObject[];
}

export async function syncUpdateRevision(
  client: ApiClient,
  parent: RevisionParent,
  templateLabels: Record<string, string> | undefined,
  data: Record<string, unknown>,
  owned: readonly RevisionObject[],
  collisionCount: number | undefined,
  signal?: AbortSignal,
): Promise<SyncedRevision> {
  const sorted = sortRevisions(owned);
  const next = nextRevision(sorted);
  const wanted = newControllerRevision(parent, templateLabels, data, next, collisionCount);
  const equal = findEqualRevisions(sorted, wanted);
  const latest = sorted[sorted.length - 1];
  let revision: RevisionObject;
  let count = collisionCount ?? 0;
  if (equal.length > 0 && equalRevision(latest, equal[equal.length - 1])) {
    revision = latest!;
  } else if (equal.length > 0) {
    revision = await updateRevisionNumber(client, equal[equal.length - 1]!, next, signal);
  } else {
    const created = await createControllerRevision(client, parent, templateLabels, data, next, collisionCount, signal);
    revision = created.revision;
    count = created.collisionCount;
  }
  const revisions = sortRevisions([...sorted.filter((r) => r.metadata.name !== revision.metadata.name), revision]);
  return { revision, collisionCount: count, revisions };
}
