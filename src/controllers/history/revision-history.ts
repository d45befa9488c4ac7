/**
 * The effectful half of `pkg/controller/history`: creating a ControllerRevision with hash-collision
 * handling, renumbering one (a rollback to an earlier template), deleting old ones.
 */
import { isStatusError } from '../../api/errors.js';
import type { ApiClient } from '../../client/api-client.js';
import { controllerRevisionsRef } from './controller-context.js';
import { type RevisionObject, type RevisionParent, equalRevision, newControllerRevision } from './controller-revision.js';

export interface CreatedRevision {
  revision: RevisionObject;
  /** The collision count the name was found with (bumped once per hash collision). */
  collisionCount: number;
}

/**
 * `realHistory.CreateControllerRevision`: creates the revision named by its hash; when that name
 * is taken by a revision with other data (a hash collision), counts the collision and rehashes.
 * An existing equal revision is returned as is.
 */
export async function createControllerRevision(
  client: ApiClient,
  parent: RevisionParent,
  templateLabels: Record<string, string> | undefined,
  data: Record<string, unknown>,
  revisionNumber: number,
  collisionCount: number | undefined,
  signal?: AbortSignal,
): Promise<CreatedRevision> {
  let count = collisionCount;
  for (;;) {
    const rev = newControllerRevision(parent, templateLabels, data, revisionNumber, count);
    try {
      return { revision: await client.create<RevisionObject>(controllerRevisionsRef, rev, { signal }), collisionCount: count ?? 0 };
    } catch (e) {
      if (!isStatusError(e) || e.code !== 409 || e.reason !== 'AlreadyExists') throw e;
      const existing = await client.get<RevisionObject>(controllerRevisionsRef, rev.metadata.name!, { namespace: rev.metadata.namespace, signal });
      if (equalRevision(existing, rev)) return { revision: existing, collisionCount: count ?? 0 };
      count = (count ?? 0) + 1;
    }
  }
}

/** `realHistory.UpdateControllerRevision`: gives an existing revision a new revision number. */
export async function updateRevisionNumber(client: ApiClient, rev: RevisionObject, revisionNumber: number, signal?: AbortSignal): Promise<RevisionObject> {
  if (rev.revision === revisionNumber) return rev;
  return client.update<RevisionObject>(controllerRevisionsRef, { ...rev, revision: revisionNumber }, { signal });
}

export async function deleteControllerRevision(client: ApiClient, rev: RevisionObject, signal?: AbortSignal): Promise<void> {
  try {
    await client.delete(controllerRevisionsRef, rev.metadata.name!, { namespace: rev.metadata.namespace, signal });
  } catch (e) {
    if (!isStatusError(e) || e.code !== 404) throw e;
  }
}
