/**
 * The resourcequota controller (kube-controller-manager's `resourcequota`): keeps each
 * ResourceQuota's status current — `hard` copied from the spec, `used` recounted from the pods of
 * its namespace for the pod resources it limits (pods, cpu/memory requests and limits, extended
 * resources, `count/pods`). A quota is recounted when it changes, when a pod of its namespace
 * changes, and every five minutes. Object counts of other kinds are not tracked.
 */
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { quotaPodUsage } from '../../api/quota/pod-usage.js';
import { equalLists, readList, writeList } from '../../api/quota/resource-list.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Informer } from '../../client/informer.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';

const quotasRef = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true } as const;
const resyncMs = 5 * 60_000;

/** The status a quota should have given its namespace's pods (pure). */
export function desiredQuotaStatus(rq: ResourceQuota, pods: readonly Pod[], nowMs: number): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = readList(rq.spec?.hard as Record<string, unknown>);
  return { hard: writeList(hard), used: writeList(quotaPodUsage(rq, pods, nowMs)) };
}

export class ResourceQuotaController implements RunnableController {
  readonly controller: Controller;
  private readonly quotas: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.quotas = ctx.informers.informerFor(quotasRef);
    this.pods = ctx.informers.informerFor(builtinRefs.pods);
    this.controller = new Controller({ name: 'resourcequota', informers: [this.quotas, this.pods], clock: ctx.clock, logger: ctx.logger, reconcile: (key, signal) => this.sync(key, signal) });
    this.quotas.addEventHandler({ onAdd: (q) => this.controller.enqueue(q), onUpdate: (_o, q) => this.controller.enqueue(q) });
    const onPod = (p: ApiObject) => {
      for (const q of this.quotas.byIndex('namespace', p.metadata.namespace ?? '')) this.controller.enqueue(q);
    };
    this.pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private async sync(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const rq = this.quotas.get(key) as unknown as ResourceQuota | undefined;
    if (!rq) return;
    const ns = rq.metadata?.namespace ?? '';
    const pods = this.pods.byIndex('namespace', ns) as unknown as Pod[];
    const want = desiredQuotaStatus(rq, pods, this.ctx.clock.now());
    const same =
      equalLists(readList(want.hard), readList(rq.status?.hard as Record<string, unknown>)) && equalLists(readList(want.used), readList(rq.status?.used as Record<string, unknown>));
    if (!same) {
      try {
        await this.ctx.client.update(quotasRef, { ...(rq as unknown as ApiObject), status: want }, { subresource: 'status', signal });
      } catch (e) {
        // A write by admission in between: the informer brings the new version, which is queued again.
        if (!(isStatusError(e) && (e.code === 409 || e.code === 404))) throw e;
      }
    }
    return { requeueAfterMs: resyncMs };
  }
}

export function createResourceQuotaController(ctx: ControllerContext): RunnableController {
  return new ResourceQuotaController(ctx);
}
