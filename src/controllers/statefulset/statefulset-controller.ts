/**
 * The StatefulSet controller (`pkg/controller/statefulset/stateful_set.go` and
 * `stateful_set_control.go`): for each set, records its template as a ControllerRevision, plans
 * one sync pass (stateful-set-plan.ts), carries the actions out through the API with upstream's
 * events, trims old revisions and writes the status.
 */
import { isStatusError } from '../../api/errors.js';
import { type ApiObject, jsonEqual } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Clock } from '../../client/clock.js';
import type { Informer } from '../../client/informer.js';
import { splitKey } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { type EventSink, type WorkloadControllerContext, controllerRevisionsRef, podsRef, pvcsRef, statefulSetsRef } from '../history/controller-context.js';
import { type RevisionObject, isControlledBy, revisionsToTruncate, templatePatch } from '../history/controller-revision.js';
import { deleteControllerRevision } from '../history/revision-history.js';
import { syncUpdateRevision } from '../history/revision-sync.js';
import { type StatefulSetAction, planStatefulSet } from './stateful-set-plan.js';
import { type ClaimObject, type PodObject, type StatefulSetObject, podRevision } from './stateful-pod.js';

/** The set with the template recorded in `rev` (`ApplyRevision`). */
export function applyRevision(set: StatefulSetObject, rev: RevisionObject): StatefulSetObject {
  const tpl = (rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (!tpl) return set;
  const { $patch: _p, ...template } = JSON.parse(JSON.stringify(tpl)) as Record<string, unknown>;
  return { ...set, spec: { ...set.spec!, template: template as never } };
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class StatefulSetController {
  readonly controller: Controller;
  private readonly sets: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  private readonly revisions: Informer<ApiObject>;
  private readonly claims: Informer<ApiObject>;
  private readonly client: ApiClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(ctx: WorkloadControllerContext, opts: { workers?: number } = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.log = ctx.logger;
    this.sets = ctx.informers.informerFor(statefulSetsRef);
    this.pods = ctx.informers.informerFor(podsRef);
    this.revisions = ctx.informers.informerFor(controllerRevisionsRef);
    this.claims = ctx.informers.informerFor(pvcsRef);
    this.controller = new Controller({
      name: 'statefulset',
      informers: [this.sets, this.pods, this.revisions, this.claims],
      // kube-controller-manager's --concurrent-statefulset-syncs default.
      workers: opts.workers ?? 5,
      clock: ctx.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: ctx.logger,
    });
    this.sets.addEventHandler({ onAdd: (o) => this.controller.enqueue(o), onUpdate: (_, o) => this.controller.enqueue(o), onDelete: (o) => this.controller.enqueue(o) });
    const byOwner = (p: ApiObject) => {
      const ref = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'StatefulSet' && r.apiVersion.startsWith('apps/'));
      if (ref) this.controller.enqueue(`${p.metadata.namespace}/${ref.name}`);
    };
    this.pods.addEventHandler({ onAdd: byOwner, onUpdate: (_, p) => byOwner(p), onDelete: byOwner });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const set = this.sets.get(key) as StatefulSetObject | undefined;
    if (!set) return;
    const { namespace } = splitKey(key);
    const uid = set.metadata.uid;
    const pods = this.pods.list().filter((p) => p.metadata.namespace === namespace && isControlledBy(p, uid)) as PodObject[];
    const owned = this.revisions.list().filter((r) => r.metadata.namespace === namespace && isControlledBy(r, uid)) as RevisionObject[];

    const parent = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata };
    const synced = await syncUpdateRevision(this.client, parent, set.spec?.template?.metadata?.labels, templatePatch(set.spec?.template), owned, set.status?.collisionCount ?? 0, signal);
    const updateRevision = synced.revision;
    const currentRevision = synced.revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;

    const plan = planStatefulSet({
      set,
      currentSet: applyRevision(set, currentRevision),
      updateSet: applyRevision(set, updateRevision),
      currentRevision: currentRevision.metadata.name!,
      updateRevision: updateRevision.metadata.name!,
      collisionCount: synced.collisionCount,
      pods,
      claim: (name) => this.claims.get(`${namespace}/${name}`) as ClaimObject | undefined,
      now: this.clock.now(),
    });
    if (plan.waiting) this.log.debug('statefulset sync waiting', { key, reason: plan.waiting });

    let failure: unknown;
    for (const action of plan.actions) {
      try {
        await this.execute(set, action, signal);
      } catch (e) {
        failure = e;
        break;
      }
    }

    // truncateHistory: keep the live revisions and revisionHistoryLimit others.
    const live = new Set<string>([currentRevision.metadata.name!, updateRevision.metadata.name!]);
    for (const p of pods) {
      const r = podRevision(p);
      if (r) live.add(r);
    }
    for (const r of revisionsToTruncate(synced.revisions, live, set.spec?.revisionHistoryLimit ?? 10)) await deleteControllerRevision(this.client, r, signal);

    await this.updateStatus(set, plan.status, signal);
    if (failure) throw failure;
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  private async execute(set: StatefulSetObject, a: StatefulSetAction, signal: AbortSignal): Promise<void> {
    const setName = set.metadata.name;
    switch (a.type) {
      case 'createClaim': {
        const what = `Claim ${a.claim.metadata.name} Pod ${a.pod.metadata.name} in StatefulSet ${setName}`;
        try {
          await this.client.create(pvcsRef, a.claim, { signal });
          this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create ${what} success`);
        } catch (e) {
          if (isStatusError(e) && e.code === 409 && e.reason === 'AlreadyExists') return;
          this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${a.claim.metadata.name} for Pod ${a.pod.metadata.name} in StatefulSet ${setName} failed error: ${errText(e)}`);
          throw e;
        }
        return;
      }
      case 'createPod':
        return this.podVerb(set, 'create', a.pod, 'SuccessfulCreate', 'FailedCreate', () => this.client.create(podsRef, a.pod, { signal }), 409);
      case 'deletePod':
        return this.podVerb(set, 'delete', a.pod, 'SuccessfulDelete', 'FailedDelete', () =>
          this.client.delete(podsRef, a.pod.metadata.name!, { namespace: a.pod.metadata.namespace, preconditions: { uid: a.pod.metadata.uid }, signal }), 404);
      case 'updatePod':
        return this.podVerb(set, 'update', a.pod, 'SuccessfulUpdate', 'FailedUpdate', () => this.client.update(podsRef, a.pod, { signal }));
      case 'updateClaimOwners':
        await this.client.patch(pvcsRef, a.claim.metadata.name!, { metadata: { ownerReferences: a.ownerReferences, resourceVersion: a.claim.metadata.resourceVersion } }, 'merge', {
          namespace: a.claim.metadata.namespace,
          signal,
        });
        return;
    }
  }

  /** One pod write with upstream's `recordPodEvent` messages; `benign` is a status code that means it is already done. */
  private async podVerb(set: StatefulSetObject, verb: string, pod: PodObject, ok: string, failed: string, write: () => Promise<unknown>, benign?: number): Promise<void> {
    const what = `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      await write();
      this.recorder.event(set, 'Normal', ok, `${what} successful`);
    } catch (e) {
      if (benign !== undefined && isStatusError(e) && e.code === benign) return;
      this.recorder.event(set, 'Warning', failed, `${what} failed error: ${errText(e)}`);
      throw e;
    }
  }

  private async updateStatus(set: StatefulSetObject, status: NonNullable<StatefulSetObject['status']>, signal: AbortSignal): Promise<void> {
    if (jsonEqual(set.status ?? {}, status)) return;
    try {
      await this.client.updateStatus(statefulSetsRef, { ...set, status }, { signal });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
  }
}

/** Registered by the controller manager as `statefulset`. */
export function createStatefulSetController(ctx: WorkloadControllerContext): { start(signal: AbortSignal): Promise<void> } {
  return new StatefulSetController({ ...ctx, logger: ctx.logger.child('statefulset-controller') });
}
