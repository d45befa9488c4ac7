/**
 * The disruption controller (pkg/controller/disruption/disruption.go): keeps every
 * PodDisruptionBudget's status current — expected pods (from the selected pods' controllers'
 * replicas, or the number of pods for an integer minAvailable), desired and current healthy pods,
 * disruptionsAllowed, observedGeneration and the `DisruptionAllowed` condition — and drops
 * `disruptedPods` entries once the evicted pod is being deleted, gone, or overdue (2 minutes).
 * The eviction subresource decrements disruptionsAllowed and records disruptedPods itself.
 *
 * Controllers are resolved for ReplicaSets (through to their Deployment), Deployments,
 * StatefulSets and ReplicationControllers; other controller kinds make the budget fail safe
 * (SyncFailed, no disruptions), and pods without a controller are left out with a warning event.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import type { ApiObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { formatLabelSelector } from '../../api/labels.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { getControllerOf } from '../controller-ref.js';
import { rfc3339 } from '../events.js';
import { buildStatus, countHealthyPods, expectedPodCount, needsScale, pruneDisruptedPods, statusChanged } from './disruption-status.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const pdbResource: ResourceRef = builtinRefs.poddisruptionbudgets;
const podsResource: ResourceRef = builtinRefs.pods;
const scaleResources = {
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  ReplicationController: { group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true },
} satisfies Record<string, ResourceRef>;
type ScaleKind = keyof typeof scaleResources;

const replicasOf = (o: ApiObject): number => (o.spec as { replicas?: number } | undefined)?.replicas ?? 1;

export class DisruptionController implements RunnableController {
  readonly controller: Controller;
  private readonly pdbs: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  private readonly owners: Record<ScaleKind, Informer<ApiObject>>;

  constructor(private readonly ctx: ControllerContext) {
    this.pdbs = ctx.informers.informerFor(pdbResource);
    this.pods = ctx.informers.informerFor(podsResource);
    this.owners = {
      ReplicaSet: ctx.informers.informerFor(scaleResources.ReplicaSet),
      Deployment: ctx.informers.informerFor(scaleResources.Deployment),
      StatefulSet: ctx.informers.informerFor(scaleResources.StatefulSet),
      ReplicationController: ctx.informers.informerFor(scaleResources.ReplicationController),
    };
    this.controller = new Controller({
      name: 'disruption',
      informers: [this.pdbs, this.pods, ...Object.values(this.owners)],
      workers: 2,
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key, signal) => this.sync(key, signal),
    });
    this.pdbs.addEventHandler({
      onAdd: (p) => this.controller.enqueue(p),
      onUpdate: (_o, p) => this.controller.enqueue(p),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueForPod(p as Pod),
      onUpdate: (o, p) => {
        this.enqueueForPod(p as Pod);
        if (JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {})) this.enqueueForPod(o as Pod);
      },
      onDelete: (p) => this.enqueueForPod(p as Pod),
    });
    // A scale change moves expectedPods: look at every budget of the namespace again.
    for (const inf of Object.values(this.owners)) {
      inf.addEventHandler({
        onUpdate: (o, n) => {
          if (replicasOf(o) !== replicasOf(n)) this.enqueueNamespace(n.metadata.namespace ?? '');
        },
      });
    }
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private enqueueNamespace(namespace: string): void {
    for (const pdb of this.pdbs.byIndex('namespace', namespace)) this.controller.enqueue(pdb);
  }

  private enqueueForPod(pod: Pod): void {
    const labels = pod.metadata?.labels ?? {};
    for (const pdb of this.pdbs.byIndex('namespace', pod.metadata?.namespace ?? '') as unknown as PodDisruptionBudget[]) {
      if (pdb.spec?.selector && selectorFromLabelSelector(pdb.spec.selector).matches(labels)) this.controller.enqueue(pdb as unknown as ApiObject);
    }
  }

  /** The budget's pods: those of its namespace its selector matches (a nil selector matches none). */
  private podsFor(pdb: PodDisruptionBudget): Pod[] {
    if (!pdb.spec?.selector) return [];
    const sel = selectorFromLabelSelector(pdb.spec.selector);
    return (this.pods.byIndex('namespace', pdb.metadata?.namespace ?? '') as unknown as Pod[]).filter((p) => sel.matches(p.metadata?.labels ?? {}));
  }

  /** The sum of the replicas of the pods' controllers (upstream getExpectedScale); throws when one cannot be found. */
  private expectedScale(pdb: PodDisruptionBudget, pods: readonly Pod[]): number {
    const scales = new Map<string, number>();
    let unmanaged = 0;
    for (const pod of pods) {
      const ref = getControllerOf(pod);
      if (!ref) {
        unmanaged++;
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = this.findScale(pod.metadata?.namespace ?? '', ref.kind, ref.name, ref.uid);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name}"`);
      scales.set(found.uid, found.replicas);
    }
    if (unmanaged) {
      this.ctx.recorder.event(
        pdb as unknown as ApiObject,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${formatLabelSelector(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    let sum = 0;
    for (const v of scales.values()) sum += v;
    return sum;
  }

  /** A controller's replicas; a ReplicaSet managed by a Deployment answers with the Deployment's. */
  private findScale(namespace: string, kind: string, name: string, uid: string): { uid: string; replicas: number } | undefined {
    if (!(kind in scaleResources)) return undefined;
    const obj = this.owners[kind as ScaleKind].get(`${namespace}/${name}`);
    if (!obj || obj.metadata.uid !== uid) return undefined;
    if (kind === 'ReplicaSet') {
      const owner = getControllerOf(obj);
      if (owner?.kind === 'Deployment') {
        const d = this.owners.Deployment.get(`${namespace}/${owner.name}`);
        return d && d.metadata.uid === owner.uid ? { uid: owner.uid, replicas: replicasOf(d) } : undefined;
      }
    }
    return { uid, replicas: replicasOf(obj) };
  }

  private async sync(key: string, signal: AbortSignal): Promise<{ requeueAfterMs: number } | void> {
    const pdb = this.pdbs.get(key) as unknown as PodDisruptionBudget | undefined;
    if (!pdb) return;
    const now = this.ctx.clock.now();
    const pods = this.podsFor(pdb);
    let status;
    let recheckAt: number | undefined;
    try {
      const scale = needsScale(pdb) ? this.expectedScale(pdb, pods) : 0;
      const { expectedCount, desiredHealthy } = expectedPodCount(pdb, pods.length, scale);
      const pruned = pruneDisruptedPods(pdb.status?.disruptedPods, pods, now);
      for (const name of pruned.expired) {
        const pod = pods.find((p) => p.metadata?.name === name);
        if (pod) this.ctx.recorder.event(pod as unknown as ApiObject, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata?.namespace}/${pdb.metadata?.name} to be deleted but it wasn't`);
      }
      recheckAt = pruned.recheckAt;
      status = buildStatus(pdb, { currentHealthy: countHealthyPods(pods, pruned.kept), desiredHealthy, expectedCount, disruptedPods: pruned.kept }, rfc3339(now));
    } catch (e) {
      this.ctx.logger.warn('failed to compute the budget; no disruptions allowed', { pdb: key, error: (e as Error).message });
      status = buildStatus(pdb, { error: (e as Error).message }, rfc3339(now));
    }
    if (statusChanged(pdb, status)) {
      await this.ctx.client.updateStatus(pdbResource, { ...(pdb as unknown as ApiObject), apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', status } as ApiObject, { signal });
    }
    if (recheckAt !== undefined) return { requeueAfterMs: Math.max(0, recheckAt - now) + 100 };
  }
}

export function createDisruptionController(ctx: ControllerContext): RunnableController {
  return new DisruptionController(ctx);
}
