/**
 * The pod garbage collector (`podgc` in kube-controller-manager): every 20 s it force-deletes
 * (grace period 0) the pods that podgc.ts picks, after marking non-terminal ones Failed (orphans
 * with the `DisruptionTarget` condition, reason `DeletionByPodGC`). A node missing from the cache
 * is confirmed gone by a read before its pods are collected.
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Informer } from '../../client/informer.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import {
  defaultTerminatedPodThreshold,
  failedStatusPatch,
  gcCheckPeriodMs,
  missingNodes,
  orphanCondition,
  quarantineDue,
  quarantineMs,
  terminatedOverThreshold,
  terminatingOnOutOfServiceNodes,
  unscheduledTerminating,
} from './podgc.js';

export interface PodGcOptions {
  /** --terminated-pod-gc-threshold (default 12,500; 0 disables collecting terminated pods). */
  terminatedPodThreshold?: number;
  periodMs?: number;
  quarantineMs?: number;
}

const gcKey = 'gc';
const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class PodGcController implements RunnableController {
  readonly controller: Controller;
  private readonly pods: Informer<ApiObject>;
  private readonly nodes: Informer<ApiObject>;
  private readonly firstMissing = new Map<string, number>();
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: PodGcOptions = {},
  ) {
    this.threshold = opts.terminatedPodThreshold ?? defaultTerminatedPodThreshold;
    this.periodMs = opts.periodMs ?? gcCheckPeriodMs;
    this.quarantineMs = opts.quarantineMs ?? quarantineMs;
    this.pods = ctx.informers.informerFor(builtinRefs.pods);
    this.nodes = ctx.informers.informerFor(builtinRefs.nodes);
    this.controller = new Controller({ name: 'podgc', informers: [this.pods, this.nodes], clock: ctx.clock, logger: ctx.logger, reconcile: (_k, signal) => this.gc(signal) });
    this.controller.enqueue(gcKey);
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  /** One pass; always comes back after the check period, whatever failed. */
  async gc(signal: AbortSignal): Promise<ReconcileResult> {
    const pods = this.pods.list() as unknown as Pod[];
    const nodes = new Map((this.nodes.list() as unknown as Node[]).map((n) => [n.metadata?.name ?? '', n]));
    const now = this.ctx.clock.now();
    const work: { pod: Pod; condition?: PodCondition }[] = [];
    for (const pod of terminatedOverThreshold(pods, this.threshold)) work.push({ pod });
    for (const pod of terminatingOnOutOfServiceNodes(pods, nodes)) work.push({ pod });
    const gone = await this.confirmGone(quarantineDue(this.firstMissing, missingNodes(pods, nodes), now, this.quarantineMs), signal);
    for (const pod of pods) if (gone.has(pod.spec?.nodeName ?? '')) work.push({ pod, condition: orphanCondition(rfc3339(now)) });
    for (const pod of unscheduledTerminating(pods)) work.push({ pod });
    const seen = new Set<string>();
    await Promise.all(
      work.map(async ({ pod, condition }) => {
        const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
        if (seen.has(key)) return;
        seen.add(key);
        try {
          await this.markFailedAndDelete(pod, condition, signal);
        } catch (e) {
          if (!signal.aborted) this.ctx.logger.warn('pod garbage collection failed', { pod: key, error: (e as Error).message });
        }
      }),
    );
    return { requeueAfterMs: this.periodMs };
  }

  /** The due names that a direct read confirms are gone (a failed read keeps them for next time). */
  private async confirmGone(due: string[], signal: AbortSignal): Promise<Set<string>> {
    const gone = new Set<string>();
    for (const name of due) {
      try {
        await this.ctx.client.get(builtinRefs.nodes, name, { signal });
        this.firstMissing.delete(name);
      } catch (e) {
        if (isNotFound(e)) gone.add(name);
      }
    }
    return gone;
  }

  private async markFailedAndDelete(pod: Pod, condition: PodCondition | undefined, signal: AbortSignal): Promise<void> {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    this.ctx.logger.info('force deleting pod', { pod: `${namespace}/${name}`, node: pod.spec?.nodeName || undefined });
    try {
      const patch = failedStatusPatch(pod, condition);
      if (patch) await this.ctx.client.patch(builtinRefs.pods, name, patch, 'strategic', { namespace, subresource: 'status', signal });
      await this.ctx.client.delete(builtinRefs.pods, name, { namespace, gracePeriodSeconds: 0, signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The `podgc` controller for the controller manager. */
export function createPodGcController(ctx: ControllerContext): RunnableController {
  return new PodGcController(ctx, { terminatedPodThreshold: ctx.settings?.terminatedPodGcThreshold });
}
