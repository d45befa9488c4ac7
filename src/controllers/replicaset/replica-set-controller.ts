/**
 * The ReplicaSet controller, also run for ReplicationControllers (`pkg/controller/replicaset/
 * replica_set.go`, `pkg/controller/replication/`): keeps `spec.replicas` active pods matching the
 * selector, adopting orphans and releasing pods that stopped matching, and reports status.
 *
 * Pod events only enqueue the owning ReplicaSet (or, for orphans, every matching one); creations
 * and deletions are tracked with expectations, so a slow watch never causes extra pods.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isStatusError } from '../../api/errors.js';
import { type Selector, selectorFromLabelSelector, selectorFromSet } from '../../api/labels.js';
import { type ApiObject, deepCopy } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { objectKey, type ResourceRef, splitKey } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { claimDecision, getControllerOf, newControllerRef } from '../controller-ref.js';
import { ControllerExpectations } from '../expectations.js';
import { isPodActive, isPodReady } from '../pod-util.js';
import { slowStartBatch } from '../slow-start.js';
import { availabilityRecheckMs, calculateStatus, podFromTemplate, type ReplicaSetLike, scaleAction, statusNeedsUpdate } from './replica-set-decisions.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const podsResource: ResourceRef = builtinRefs.pods;

/** The kind a controller instance manages. */
export interface ReplicaSetKind {
  name: string;
  resource: ResourceRef;
  apiVersion: string;
  kind: string;
  selector(obj: ApiObject): Selector;
}

export const replicaSetKind: ReplicaSetKind = {
  name: 'replicaset',
  resource: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  selector: (rs) => selectorFromLabelSelector((rs.spec as { selector?: never } | undefined)?.selector),
};

export const replicationControllerKind: ReplicaSetKind = {
  name: 'replicationcontroller',
  resource: { group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true },
  apiVersion: 'v1',
  kind: 'ReplicationController',
  // A ReplicationController's selector is a label map; an empty one would match everything, which validation forbids.
  selector: (rc) => {
    const sel = (rc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    return sel && Object.keys(sel).length ? selectorFromSet(sel) : selectorFromLabelSelector(undefined);
  },
};

/** Upstream SlowStartInitialBatchSize. */
const slowStartInitialBatchSize = 1;

const isNamespaceTerminating = (e: unknown): boolean => isStatusError(e) && !!e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;

export class ReplicaSetController implements RunnableController {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly sets: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly k: ReplicaSetKind,
    workers = 5,
  ) {
    this.expectations = new ControllerExpectations(ctx.clock);
    this.sets = ctx.informers.informerFor(k.resource);
    this.pods = ctx.informers.informerFor(podsResource);
    this.controller = new Controller({
      name: k.name,
      informers: [this.sets, this.pods],
      workers,
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key, signal) => this.sync(key, signal),
    });
    this.sets.addEventHandler({
      onAdd: (rs) => this.controller.enqueue(rs),
      onUpdate: (_old, rs) => this.controller.enqueue(rs),
      onDelete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.controller.enqueue(rs);
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.onPodAdd(p as Pod),
      onUpdate: (o, n) => this.onPodUpdate(o as Pod, n as Pod),
      onDelete: (p) => this.onPodDelete(p as Pod),
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  // --- event handlers: only enqueue --------------------------------------------------------------

  /** The ReplicaSet a controller reference points at, if it is ours and still the same object. */
  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): ApiObject | undefined {
    if (!ref || ref.kind !== this.k.kind || !namespace) return undefined;
    const rs = this.sets.get(`${namespace}/${ref.name}`);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** Every ReplicaSet in the pod's namespace whose selector matches it (for orphans). */
  private matchingSets(pod: Pod): ApiObject[] {
    const labels = pod.metadata?.labels ?? {};
    return this.sets.byIndex('namespace', pod.metadata?.namespace ?? '').filter((rs) => this.k.selector(rs).matches(labels));
  }

  private onPodAdd(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.onPodDelete(pod);
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(objectKey(rs));
      this.controller.enqueue(rs);
      return;
    }
    for (const rs of this.matchingSets(pod)) this.controller.enqueue(rs);
  }

  private onPodUpdate(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      this.onPodDelete(cur);
      if (labelsChanged) this.onPodDelete(old);
      return;
    }
    const oldRef = getControllerOf(old);
    const curRef = getControllerOf(cur);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata?.namespace, oldRef);
      if (rs) this.controller.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata?.namespace, curRef);
      if (!rs) return;
      this.controller.enqueue(rs);
      // A pod that just became ready becomes available minReadySeconds later: look again then.
      const minReady = (rs.spec as { minReadySeconds?: number } | undefined)?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.controller.enqueueAfter(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingSets(cur)) this.controller.enqueue(rs);
  }

  private onPodDelete(pod: Pod): void {
    const rs = this.resolve(pod.metadata?.namespace, getControllerOf(pod));
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.controller.enqueue(key);
  }

  // --- sync --------------------------------------------------------------------------------------

  private async sync(key: string, signal: AbortSignal): Promise<void> {
    const cached = this.sets.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const rs = cached as ApiObject & ReplicaSetLike;
    const needsSync = this.expectations.satisfied(key);
    const selector = this.k.selector(rs);
    const { namespace } = splitKey(key);
    const candidates = (this.pods.byIndex('namespace', namespace ?? '') as Pod[]).filter(isPodActive);
    const owned = await this.claimPods(rs, selector, candidates, signal);

    let manageError: Error | undefined;
    let scaleUp = false;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      const replicas = rs.spec?.replicas ?? 1;
      scaleUp = owned.length < replicas;
      manageError = await this.manageReplicas(rs, owned, replicas, signal);
    }
    const status = calculateStatus(rs, owned, manageError, scaleUp, this.ctx.clock.now());
    await this.updateStatus(rs, status, signal);
    const recheck = availabilityRecheckMs(rs, status, manageError);
    if (recheck !== undefined) this.controller.enqueueAfter(key, recheck);
    if (manageError) throw manageError;
  }

  /** Adopts and releases pods (ControllerRefManager.ClaimPods); returns the pods now owned. */
  private async claimPods(rs: ApiObject, selector: Selector, pods: readonly Pod[], signal: AbortSignal): Promise<Pod[]> {
    const uid = rs.metadata.uid ?? '';
    const deleting = !!rs.metadata.deletionTimestamp;
    const owned: Pod[] = [];
    let canAdopt: boolean | undefined;
    for (const pod of pods) {
      const decision = claimDecision(pod, uid, deleting, selector);
      if (decision === 'claim') owned.push(pod);
      else if (decision === 'release') {
        await this.patchPod(pod, { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: pod.metadata?.uid } }, signal);
      } else if (decision === 'adopt') {
        // Recheck with a live read that the ReplicaSet is still there and not being deleted (RecheckDeletionTimestamp).
        canAdopt ??= await this.ctx.client
          .get<ApiObject>(this.k.resource, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal })
          .then((fresh) => fresh.metadata.uid === uid && !fresh.metadata.deletionTimestamp)
          .catch(() => false);
        if (!canAdopt) continue;
        const ref = newControllerRef(rs, this.k.apiVersion, this.k.kind);
        const adopted = await this.patchPod(pod, { metadata: { ownerReferences: [ref], uid: pod.metadata?.uid } }, signal);
        if (adopted) owned.push(adopted);
      }
    }
    return owned;
  }

  /** A strategic-merge patch of a pod; a pod that has gone is no longer a candidate (undefined). */
  private async patchPod(pod: Pod, patch: unknown, signal: AbortSignal): Promise<Pod | undefined> {
    try {
      return await this.ctx.client.patch<Pod>(podsResource, pod.metadata?.name ?? '', patch, 'strategic', { namespace: pod.metadata?.namespace, signal });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Creates or deletes pods (upstream manageReplicas); returns the error to report, if any. */
  private async manageReplicas(rs: ApiObject & ReplicaSetLike, owned: Pod[], replicas: number, signal: AbortSignal): Promise<Error | undefined> {
    const key = objectKey(rs);
    const related = this.relatedPods(rs);
    const action = scaleAction(owned, replicas, related, this.ctx.clock.now());
    if (action.kind === 'create') {
      this.expectations.expectCreations(key, action.count);
      const ref = newControllerRef(rs, this.k.apiVersion, this.k.kind);
      const { successes, error } = await slowStartBatch(action.count, slowStartInitialBatchSize, async () => {
        const pod = podFromTemplate(rs.spec?.template ?? {}, rs.metadata.namespace ?? '', rs.metadata.name ?? '', ref);
        try {
          const created = await this.ctx.client.create<ApiObject>(podsResource, pod as ApiObject, { signal });
          this.ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (e) {
          // Creations in a terminating namespace all fail; nothing to report (upstream does the same).
          if (isNamespaceTerminating(e)) return;
          this.ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
          throw e;
        }
      });
      for (let i = successes; i < action.count; i++) this.expectations.creationObserved(key);
      return error;
    }
    if (action.kind === 'delete') {
      this.expectations.expectDeletions(key, action.pods.map((p) => objectKey(p)));
      const results = await Promise.all(
        action.pods.map(async (pod) => {
          try {
            await this.ctx.client.delete(podsResource, pod.metadata?.name ?? '', { namespace: pod.metadata?.namespace, signal });
            this.ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
            return undefined;
          } catch (e) {
            // A pod already gone will be observed through the informer; anything else will not.
            if (isNotFound(e)) return undefined;
            this.expectations.deletionObserved(key, objectKey(pod));
            this.ctx.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
            return e as Error;
          }
        }),
      );
      return results.find((e) => e !== undefined);
    }
    return undefined;
  }

  /** Active pods of the ReplicaSets under the same controller as `rs` (upstream getIndirectlyRelatedPods). */
  private relatedPods(rs: ApiObject): Pod[] {
    const ref = getControllerOf(rs);
    if (!ref) return [];
    const siblings = new Set(
      this.sets
        .byIndex('namespace', rs.metadata.namespace ?? '')
        .filter((s) => getControllerOf(s)?.uid === ref.uid)
        .map((s) => s.metadata.uid),
    );
    return (this.pods.byIndex('namespace', rs.metadata.namespace ?? '') as Pod[]).filter((p) => isPodActive(p) && siblings.has(getControllerOf(p)?.uid));
  }

  /** Writes status unless unchanged; retries once on conflict with a fresh read (upstream updateReplicaSetStatus). */
  private async updateStatus(rs: ApiObject & ReplicaSetLike, status: ReturnType<typeof calculateStatus>, signal: AbortSignal): Promise<void> {
    let cur: ApiObject & ReplicaSetLike = rs;
    for (let attempt = 0; ; attempt++) {
      const next = { ...status, observedGeneration: cur.metadata.generation };
      if (!statusNeedsUpdate(cur, next)) return;
      const copy = deepCopy(cur);
      copy.status = next;
      try {
        await this.ctx.client.updateStatus(this.k.resource, copy, { signal });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (attempt >= 1 || !(isStatusError(e) && e.code === 409)) throw e;
        cur = (await this.ctx.client.get<ApiObject>(this.k.resource, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal })) as ApiObject & ReplicaSetLike;
      }
    }
  }
}

export function createReplicaSetController(ctx: ControllerContext): RunnableController {
  return new ReplicaSetController(ctx, replicaSetKind);
}

export function createReplicationControllerController(ctx: ControllerContext): RunnableController {
  return new ReplicaSetController(ctx, replicationControllerKind);
}
