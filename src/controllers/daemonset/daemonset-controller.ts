/**
 * The DaemonSet controller (`pkg/controller/daemon/daemon_controller.go`): for each DaemonSet,
 * records its template as a ControllerRevision (the hash goes on pods as
 * `controller-revision-hash`), plans one sync (daemon-plan.ts), creates pods pinned to their
 * nodes by required node affinity (the scheduler binds them), deletes pods, trims history and
 * writes the status. Pod names come from `generateName`, so creations and deletions in flight are
 * remembered (upstream's expectations) until the pod informer has seen them, and no new ones are
 * planned meanwhile.
 */
import { isStatusError } from '../../api/errors.js';
import { type ApiObject, jsonEqual } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Clock } from '../../client/clock.js';
import type { Informer } from '../../client/informer.js';
import { splitKey } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { type EventSink, type WorkloadControllerContext, controllerRevisionsRef, daemonSetsRef, nodesRef, podsRef } from '../history/controller-context.js';
import { type RevisionObject, controllerRevisionHashLabel, isControlledBy, revisionsToTruncate, templatePatch } from '../history/controller-revision.js';
import { deleteControllerRevision } from '../history/revision-history.js';
import { syncUpdateRevision } from '../history/revision-sync.js';
import { type DaemonSetObject, type NodeObject, type PodObject, daemonSetHashLabel, newDaemonPod } from './daemon-pod.js';
import { planDaemonSet } from './daemon-plan.js';

/** Upstream's ExpectationsTimeout: an expectation not observed by then is dropped. */
const expectationsTimeoutMs = 5 * 60_000;

interface Expectations {
  /** Created pod keys not yet seen by the informer. */
  adds: Set<string>;
  /** Deleted pod uids the informer still holds. */
  deletes: Set<string>;
  at: number;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class DaemonSetController {
  readonly controller: Controller;
  private readonly sets: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  private readonly nodes: Informer<ApiObject>;
  private readonly revisions: Informer<ApiObject>;
  private readonly client: ApiClient;
  private readonly recorder: EventSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly expectations = new Map<string, Expectations>();

  constructor(ctx: WorkloadControllerContext, opts: { workers?: number } = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.log = ctx.logger;
    this.sets = ctx.informers.informerFor(daemonSetsRef);
    this.pods = ctx.informers.informerFor(podsRef);
    this.nodes = ctx.informers.informerFor(nodesRef);
    this.revisions = ctx.informers.informerFor(controllerRevisionsRef);
    this.controller = new Controller({
      name: 'daemonset',
      informers: [this.sets, this.pods, this.nodes, this.revisions],
      // kube-controller-manager's --concurrent-daemonset-syncs default.
      workers: opts.workers ?? 2,
      clock: ctx.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: ctx.logger,
    });
    const enqueue = (o: ApiObject) => this.controller.enqueue(o);
    this.sets.addEventHandler({ onAdd: enqueue, onUpdate: (_, o) => enqueue(o), onDelete: (o) => (this.expectations.delete(`${o.metadata.namespace}/${o.metadata.name}`), enqueue(o)) });
    const byOwner = (p: ApiObject) => {
      const ref = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'DaemonSet' && r.apiVersion.startsWith('apps/'));
      if (ref) this.controller.enqueue(`${p.metadata.namespace}/${ref.name}`);
    };
    this.pods.addEventHandler({ onAdd: byOwner, onUpdate: (_, p) => byOwner(p), onDelete: byOwner });
    // Node changes that can change where daemon pods belong requeue every DaemonSet.
    const all = () => this.sets.list().forEach(enqueue);
    this.nodes.addEventHandler({
      onAdd: all,
      onDelete: all,
      onUpdate: (a, b) => {
        const x = a as NodeObject;
        const y = b as NodeObject;
        if (!jsonEqual(x.metadata.labels, y.metadata.labels) || !jsonEqual(x.spec, y.spec)) all();
      },
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  /** True when every create and delete this controller made for `key` is visible in the pod cache. */
  private expectationsSatisfied(key: string): boolean {
    const e = this.expectations.get(key);
    if (!e) return true;
    for (const k of e.adds) if (this.pods.get(k)) e.adds.delete(k);
    for (const uid of e.deletes) if (!this.pods.list().some((p) => p.metadata.uid === uid)) e.deletes.delete(uid);
    if ((e.adds.size === 0 && e.deletes.size === 0) || this.clock.now() - e.at > expectationsTimeoutMs) {
      this.expectations.delete(key);
      return true;
    }
    return false;
  }

  private async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const ds = this.sets.get(key) as DaemonSetObject | undefined;
    if (!ds) return;
    const { namespace } = splitKey(key);
    const uid = ds.metadata.uid;
    const pods = this.pods.list().filter((p) => p.metadata.namespace === namespace && isControlledBy(p, uid)) as PodObject[];
    const owned = this.revisions.list().filter((r) => r.metadata.namespace === namespace && isControlledBy(r, uid)) as RevisionObject[];
    const parent = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
    const synced = await syncUpdateRevision(this.client, parent, ds.spec?.template?.metadata?.labels, templatePatch(ds.spec?.template), owned, ds.status?.collisionCount, signal);
    const hash = synced.revision.metadata.labels?.[controllerRevisionHashLabel] ?? '';
    const nodes = this.nodes.list() as NodeObject[];
    const plan = planDaemonSet({ ds, hash, nodes, pods, now: this.clock.now() });

    let failure: unknown;
    if (this.expectationsSatisfied(key) && !ds.metadata.deletionTimestamp) {
      const exp: Expectations = { adds: new Set(), deletes: new Set(), at: this.clock.now() };
      this.expectations.set(key, exp);
      for (const { pod, failed } of plan.deletePods) {
        if (failed) this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${pod.spec?.nodeName ?? ''}, will try to kill it`);
        try {
          exp.deletes.add(pod.metadata.uid!);
          await this.client.delete(podsRef, pod.metadata.name!, { namespace: pod.metadata.namespace, preconditions: { uid: pod.metadata.uid }, signal });
          this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (e) {
          if (isStatusError(e) && e.code === 404) continue;
          exp.deletes.delete(pod.metadata.uid!);
          this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
          failure ??= e;
        }
      }
      for (const node of plan.createOn) {
        try {
          const created = await this.client.create<PodObject>(podsRef, newDaemonPod(ds, hash, node), { signal });
          exp.adds.add(`${created.metadata.namespace}/${created.metadata.name}`);
          this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (e) {
          this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
          failure ??= e;
        }
      }
    }

    // cleanupHistory: revisions whose hash a pod still carries, and the current one, stay.
    const liveHashes = new Set<string>([hash]);
    for (const p of pods) {
      const h = p.metadata.labels?.[daemonSetHashLabel];
      if (h) liveHashes.add(h);
    }
    const live = new Set(synced.revisions.filter((r) => liveHashes.has(r.metadata.labels?.[controllerRevisionHashLabel] ?? '')).map((r) => r.metadata.name!));
    for (const r of revisionsToTruncate(synced.revisions, live, ds.spec?.revisionHistoryLimit ?? 10)) await deleteControllerRevision(this.client, r, signal);

    const status = { ...plan.status, ...(synced.collisionCount ? { collisionCount: synced.collisionCount } : {}) };
    if (!jsonEqual(ds.status ?? {}, status)) {
      try {
        await this.client.updateStatus(daemonSetsRef, { ...ds, status }, { signal });
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
    if (failure) throw failure;
    this.log.debug('daemonset synced', { key, create: plan.createOn.length, delete: plan.deletePods.length });
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}

/** Registered by the controller manager as `daemonset`. */
export function createDaemonSetController(ctx: WorkloadControllerContext): { start(signal: AbortSignal): Promise<void> } {
  return new DaemonSetController({ ...ctx, logger: ctx.logger.child('daemonset-controller') });
}
