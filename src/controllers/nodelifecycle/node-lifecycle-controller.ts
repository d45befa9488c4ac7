/**
 * The node lifecycle controller (pkg/controller/nodelifecycle/node_lifecycle_controller.go):
 * watches Nodes and their Leases in `kube-node-lease`; a node whose kubelet neither renews its
 * Lease nor posts a new Ready heartbeat within the grace period gets its Ready and pressure
 * conditions set to Unknown (and its pods marked not ready), and every node carries the taints its
 * conditions call for: NoSchedule ones (TaintNodesByCondition) and the NoExecute `not-ready` /
 * `unreachable` taint that the taint eviction controller acts on.
 *
 * Not modelled: zone disruption states and eviction rate limits (every tainted node is tainted at
 * once, whatever fraction of its zone is down).
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { type HealthTimings, type NodeHealth, defaultHealthTimings, healthDeadline, observeNodeHealth, rfc3339, unknownConditions } from './node-health.js';
import { reconcileTaints } from './node-taints.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const nodesResource: ResourceRef = builtinRefs.nodes;
export const leasesResource: ResourceRef = builtinRefs.leases;
export const podsResource: ResourceRef = builtinRefs.pods;
export const nodeLeaseNamespace = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** nodeMonitorGracePeriod (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** nodeStartupGracePeriod (default 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** How often an overdue node is looked at again (upstream nodeMonitorPeriod, 5 s). */
  nodeMonitorPeriodMs?: number;
}

const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;

export class NodeLifecycleController implements RunnableController {
  readonly controller: Controller;
  private readonly nodes: Informer<ApiObject>;
  private readonly leases: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  private readonly health = new Map<string, NodeHealth>();
  private readonly timings: HealthTimings;
  private readonly monitorPeriodMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.timings = {
      gracePeriodMs: opts.nodeMonitorGracePeriodMs ?? defaultHealthTimings.gracePeriodMs,
      startupGracePeriodMs: opts.nodeStartupGracePeriodMs ?? Math.max(defaultHealthTimings.startupGracePeriodMs, opts.nodeMonitorGracePeriodMs ?? 0),
    };
    this.monitorPeriodMs = opts.nodeMonitorPeriodMs ?? Math.min(5000, Math.max(500, Math.floor(this.timings.gracePeriodMs / 4)));
    this.nodes = ctx.informers.informerFor(nodesResource);
    this.leases = ctx.informers.informerFor(leasesResource);
    this.pods = ctx.informers.informerFor(podsResource);
    this.controller = new Controller({
      name: 'nodelifecycle',
      informers: [this.nodes, this.leases, this.pods],
      workers: 4,
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key, signal) => this.sync(key, signal),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => this.controller.enqueue(n),
      onUpdate: (_o, n) => this.controller.enqueue(n),
      onDelete: (n) => this.controller.enqueue(n),
    });
    const onLease = (l: ApiObject) => {
      if (l.metadata.namespace === nodeLeaseNamespace && l.metadata.name) this.controller.enqueue(l.metadata.name);
    };
    this.leases.addEventHandler({ onAdd: onLease, onUpdate: (_o, l) => onLease(l) });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private async sync(name: string, signal: AbortSignal): Promise<{ requeueAfterMs: number } | void> {
    let node = this.nodes.get(name) as Node | undefined;
    if (!node) {
      this.health.delete(name);
      return;
    }
    const now = this.ctx.clock.now();
    const lease = this.leases.get(`${nodeLeaseNamespace}/${name}`) as Lease | undefined;
    const health = observeNodeHealth(this.health.get(name), node, lease, now);
    this.health.set(name, health);
    const deadline = healthDeadline(node, health, this.timings);
    let requeueAfterMs = Math.max(deadline - now, 0) + 50;
    if (now >= deadline) {
      requeueAfterMs = this.monitorPeriodMs;
      const conditions = unknownConditions(node, now);
      if (conditions) {
        const wasReady = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        node = await this.ctx.client.patch<Node>(nodesResource, name, { metadata: { resourceVersion: node.metadata?.resourceVersion }, status: { conditions } }, 'merge', { subresource: 'status', signal });
        this.ctx.logger.info('node stopped posting status; marked Unknown', { node: name });
        if (wasReady) {
          this.ctx.recorder.event(node as unknown as ApiObject, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
          await this.markPodsNotReady(name, now, signal);
        }
      }
    }
    const taints = reconcileTaints(node, now);
    // No taints left: drop the field (as Go's omitempty would), not an empty list.
    if (taints) {
      await this.ctx.client.patch(nodesResource, name, { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints: taints.length ? taints : null } }, 'merge', { signal });
    }
    return { requeueAfterMs };
  }

  /** Sets the Ready condition of the node's pods to False (upstream nodeutil.MarkPodsNotReady). */
  private async markPodsNotReady(nodeName: string, now: number, signal: AbortSignal): Promise<void> {
    const pods = (this.pods.list() as unknown as Pod[]).filter((p) => p.spec?.nodeName === nodeName);
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || pod.metadata?.deletionTimestamp) continue;
      const patch = { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) }] } };
      try {
        await this.ctx.client.patch(podsResource, pod.metadata!.name!, patch, 'strategic', { namespace: pod.metadata!.namespace, subresource: 'status', signal });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

export function createNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): RunnableController {
  return new NodeLifecycleController(ctx, opts);
}
