/**
 * The taint eviction controller (pkg/controller/tainteviction/taint_eviction.go): deletes pods
 * that run on a node with NoExecute taints they do not tolerate, and pods that tolerate them only
 * for `tolerationSeconds`, once that time has passed since the controller first saw the pod on the
 * tainted node. Before deleting it marks the pod with the `DisruptionTarget` condition and records
 * a `TaintManagerEviction` event; an eviction that the taints' removal makes moot is cancelled
 * (with an event too).
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { objectKey, splitKey } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { rfc3339 } from './node-health.js';
import { nodesResource, podsResource } from './node-lifecycle-controller.js';
import { disruptionTargetCondition, evictionDecision, noExecuteTaints } from './taint-eviction.js';

const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;
const taintsKey = (n: Node | undefined): string => JSON.stringify(noExecuteTaints(n?.spec?.taints).map((t) => [t.key, t.value ?? '']));

export class TaintEvictionController implements RunnableController {
  readonly controller: Controller;
  private readonly nodes: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  /** nodeName → keys of the pods bound to it. */
  private readonly podsByNode = new Map<string, Set<string>>();
  /** Pod key → when its eviction was scheduled (local time). */
  private readonly scheduled = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.nodes = ctx.informers.informerFor(nodesResource);
    this.pods = ctx.informers.informerFor(podsResource);
    this.controller = new Controller({
      name: 'taint-eviction-controller',
      informers: [this.nodes, this.pods],
      workers: 8,
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key, signal) => this.sync(key, signal),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => this.enqueueNode(n as Node),
      onUpdate: (o, n) => {
        if (taintsKey(o as Node) !== taintsKey(n as Node)) this.enqueueNode(n as Node);
      },
      onDelete: (n) => this.enqueueNode(n as Node),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(undefined, p as Pod),
      onUpdate: (o, p) => this.onPod(o as Pod, p as Pod),
      onDelete: (p) => this.onPodDelete(p as Pod),
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private enqueueNode(node: Node): void {
    for (const key of this.podsByNode.get(node.metadata?.name ?? '') ?? []) this.controller.enqueue(key);
  }

  private onPod(old: Pod | undefined, pod: Pod): void {
    const key = objectKey(pod);
    const oldNode = old?.spec?.nodeName;
    const node = pod.spec?.nodeName;
    if (oldNode && oldNode !== node) this.podsByNode.get(oldNode)?.delete(key);
    if (!node) return;
    let set = this.podsByNode.get(node);
    if (!set) this.podsByNode.set(node, (set = new Set()));
    set.add(key);
    if (!old || oldNode !== node || JSON.stringify(old.spec?.tolerations ?? []) !== JSON.stringify(pod.spec?.tolerations ?? [])) {
      if (noExecuteTaints((this.nodes.get(node) as Node | undefined)?.spec?.taints).length || this.scheduled.has(key)) this.controller.enqueue(key);
    }
  }

  private onPodDelete(pod: Pod): void {
    const key = objectKey(pod);
    const node = pod.spec?.nodeName;
    if (node) {
      const set = this.podsByNode.get(node);
      set?.delete(key);
      if (set && !set.size) this.podsByNode.delete(node);
    }
    this.scheduled.delete(key);
  }

  private async sync(key: string, signal: AbortSignal): Promise<{ requeueAfterMs: number } | void> {
    const pod = this.pods.get(key) as Pod | undefined;
    const nodeName = pod?.spec?.nodeName;
    const node = nodeName ? (this.nodes.get(nodeName) as Node | undefined) : undefined;
    if (!pod || !node || pod.metadata?.deletionTimestamp) {
      this.scheduled.delete(key);
      return;
    }
    const d = evictionDecision(pod, node.spec?.taints ?? []);
    const now = this.ctx.clock.now();
    const { namespace, name } = splitKey(key);
    if (d.action === 'none') {
      if (this.scheduled.delete(key)) this.ctx.recorder.event(pod as unknown as ApiObject, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${namespace}/${name}`);
      return;
    }
    if (d.action === 'evictAfter') {
      let since = this.scheduled.get(key);
      if (since === undefined) this.scheduled.set(key, (since = now));
      if (now < since + d.ms) return { requeueAfterMs: since + d.ms - now };
    }
    await this.evict(pod, signal);
    this.scheduled.delete(key);
  }

  /** Marks the pod as a disruption target, then deletes it (upstream addConditionAndDeletePod). */
  private async evict(pod: Pod, signal: AbortSignal): Promise<void> {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata!.name!;
    this.ctx.recorder.event(pod as unknown as ApiObject, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    const condition = { ...disruptionTargetCondition, lastTransitionTime: rfc3339(this.ctx.clock.now()) };
    try {
      await this.ctx.client.patch(podsResource, name, { status: { conditions: [condition] } }, 'strategic', { namespace, subresource: 'status', signal });
      await this.ctx.client.delete(podsResource, name, { namespace, preconditions: { uid: pod.metadata?.uid }, signal });
    } catch (e) {
      if (!isNotFound(e) && !(isStatusError(e) && e.code === 409)) throw e;
    }
  }
}

export function createTaintEvictionController(ctx: ControllerContext): RunnableController {
  return new TaintEvictionController(ctx);
}
