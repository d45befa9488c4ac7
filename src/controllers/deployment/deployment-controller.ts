/**
 * The deployment controller (`pkg/controller/deployment/deployment_controller.go`): watches
 * Deployments, ReplicaSets and Pods; event handlers only enqueue Deployment keys; `reconcile`
 * claims the Deployment's ReplicaSets (adopting matching orphans, releasing ones that no longer
 * match) and runs one sync: status only while deleting, proportional scaling while paused or on a
 * scaling event, else one step of the RollingUpdate or Recreate rollout.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { namespaceIndex } from '../../client/cache.js';
import type { Clock } from '../../client/clock.js';
import type { Informer } from '../../client/informer.js';
import type { Logger } from '../../util/logger.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import type { EventRecorder } from '../events.js';
import { DeploymentSync } from './deployment-sync.js';
import { adoptPatch, claimDecision, releasePatch } from './replica-set-claim.js';
import { controllerOf } from './replica-set-util.js';
import { deploymentsResource, podsResource, replicaSetsResource } from './resources.js';

type DeploymentObj = Deployment & ApiObject;
type ReplicaSetObj = ReplicaSet & ApiObject;
type PodObj = Pod & ApiObject;

export interface DeploymentControllerOptions {
  client: ApiClient;
  deployments: Informer<DeploymentObj>;
  replicaSets: Informer<ReplicaSetObj>;
  pods: Informer<PodObj>;
  recorder: EventRecorder;
  clock?: Clock;
  logger?: Logger;
  /** kube-controller-manager's --concurrent-deployment-syncs (default 5). */
  workers?: number;
}

export class DeploymentController implements RunnableController {
  readonly controller: Controller;
  private readonly now: () => number;

  constructor(private readonly opts: DeploymentControllerOptions) {
    this.now = opts.clock ? () => opts.clock!.now() : Date.now;
    this.controller = new Controller({
      name: 'deployment',
      informers: [opts.deployments, opts.replicaSets, opts.pods],
      workers: opts.workers ?? 5,
      clock: opts.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: opts.logger,
    });
    const enqueue = (d: DeploymentObj) => this.controller.enqueue(d);
    opts.deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: enqueue });
    opts.replicaSets.addEventHandler({
      onAdd: (rs) => this.onReplicaSetAdd(rs),
      onUpdate: (old, cur) => this.onReplicaSetUpdate(old, cur),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    opts.pods.addEventHandler({ onDelete: (pod) => this.onPodDelete(pod) });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  // --- event handlers ------------------------------------------------------------------------------

  /** The Deployment named by `obj`'s controller reference, if it is the cached one (`resolveControllerRef`). */
  private ownerOf(obj: { metadata?: ApiObject['metadata'] }): DeploymentObj | undefined {
    const ref = controllerOf(obj);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.opts.deployments.get(`${obj.metadata?.namespace}/${ref.name}`);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSetObj): void {
    const d = this.ownerOf(rs);
    if (d) this.controller.enqueue(d);
  }

  /** Deployments whose selector matches an orphan RS (`getDeploymentsForReplicaSet`). */
  private enqueueMatching(rs: ReplicaSetObj): void {
    for (const d of this.opts.deployments.byIndex(namespaceIndex, rs.metadata.namespace ?? '')) {
      const sel = selectorFromLabelSelector(d.spec?.selector);
      if (sel.empty() || !sel.matches(rs.metadata.labels ?? {})) continue;
      this.controller.enqueue(d);
    }
  }

  private onReplicaSetAdd(rs: ReplicaSetObj): void {
    if (controllerOf(rs)) this.enqueueOwner(rs);
    else this.enqueueMatching(rs);
  }

  private onReplicaSetUpdate(old: ReplicaSetObj, cur: ReplicaSetObj): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const oldRef = controllerOf(old);
    const curRef = controllerOf(cur);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) this.enqueueOwner(old);
    if (curRef) {
      this.enqueueOwner(cur);
      return;
    }
    if (refChanged || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) this.enqueueMatching(cur);
  }

  /** A Recreate rollout waits for old pods to go; their deletion is what lets it continue. */
  private onPodDelete(pod: PodObj): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.opts.replicaSets.get(`${pod.metadata.namespace}/${ref.name}`);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.ownerOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.controller.enqueue(d);
  }

  // --- reconcile -----------------------------------------------------------------------------------

  private async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const cached = this.opts.deployments.get(key);
    if (!cached) return;
    const { client, recorder, logger } = this.opts;
    const sync = new DeploymentSync({ client, recorder, logger, now: this.now, replicaSets: this.opts.replicaSets, signal }, cached);
    const d = sync.d;

    const sel = d.spec?.selector;
    if (sel && !sel.matchLabels && !sel.matchExpressions) {
      recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      await sync.observeGeneration();
      return;
    }

    const rsList = await this.claimReplicaSets(d, signal);
    if (d.metadata.deletionTimestamp) {
      await sync.syncStatusOnly(rsList);
      return;
    }
    await sync.checkPausedConditions();
    if (d.spec?.paused) {
      await sync.sync(rsList);
      return;
    }
    if (await sync.isScalingEvent(rsList)) {
      await sync.sync(rsList);
      return;
    }
    const outcome = d.spec?.strategy?.type === 'Recreate' ? await sync.rolloutRecreate(rsList, this.podsByReplicaSet(d, rsList)) : await sync.rolloutRolling(rsList);
    if (outcome.requeueAfterMs !== undefined) return { requeueAfterMs: outcome.requeueAfterMs };
  }

  /** The ReplicaSets this Deployment controls after adoption and release (`getReplicaSetsForDeployment`). */
  private async claimReplicaSets(d: DeploymentObj, signal: AbortSignal): Promise<ReplicaSet[]> {
    const { client } = this.opts;
    const ns = d.metadata.namespace ?? '';
    const selector = selectorFromLabelSelector(d.spec?.selector);
    const claimed: ReplicaSet[] = [];
    let canAdopt: Promise<void> | undefined;
    // Before the first adoption, a fresh read makes sure the Deployment is still there and not being deleted (#42639).
    const recheck = async () => {
      const fresh = await client.get<DeploymentObj>(deploymentsResource, d.metadata.name!, { namespace: ns, signal });
      if (fresh.metadata.uid !== d.metadata.uid) throw new Error(`original Deployment ${ns}/${d.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${d.metadata.uid}`);
      if (fresh.metadata.deletionTimestamp) throw new Error(`${ns}/${d.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    };
    for (const rs of this.opts.replicaSets.byIndex(namespaceIndex, ns)) {
      const decision = claimDecision(d, selector, rs);
      if (decision === 'owned') {
        claimed.push(rs);
      } else if (decision === 'adopt' || decision === 'release') {
        try {
          if (decision === 'adopt') {
            await (canAdopt ??= recheck());
            claimed.push(await client.patch<ReplicaSetObj>(replicaSetsResource, rs.metadata.name!, adoptPatch(d, rs.metadata.uid!), 'strategic', { namespace: ns, signal }));
          } else {
            await client.patch(replicaSetsResource, rs.metadata.name!, releasePatch(d, rs.metadata.uid!), 'strategic', { namespace: ns, signal });
          }
        } catch (e) {
          if (!(isStatusError(e) && e.code === 404)) throw e;
        }
      }
    }
    return claimed;
  }

  /** Pods of the claimed ReplicaSets, by RS uid (`getPodMapForDeployment`). */
  private podsByReplicaSet(d: DeploymentObj, rsList: ReplicaSet[]): Map<string, Pod[]> {
    const map = new Map<string, Pod[]>(rsList.map((rs) => [rs.metadata?.uid ?? '', []]));
    const selector = selectorFromLabelSelector(d.spec?.selector);
    for (const pod of this.opts.pods.byIndex(namespaceIndex, d.metadata.namespace ?? '')) {
      if (!selector.matches(pod.metadata.labels ?? {})) continue;
      const ref = controllerOf(pod);
      if (ref) map.get(ref.uid)?.push(pod);
    }
    return map;
  }
}

/** The controller manager's factory for the `deployment` controller. */
export function createDeploymentController(ctx: ControllerContext): RunnableController {
  return new DeploymentController({
    client: ctx.client,
    deployments: ctx.informers.informerFor<DeploymentObj>(deploymentsResource),
    replicaSets: ctx.informers.informerFor<ReplicaSetObj>(replicaSetsResource),
    pods: ctx.informers.informerFor<PodObj>(podsResource),
    recorder: ctx.recorder,
    clock: ctx.clock,
    logger: ctx.logger,
  });
}
