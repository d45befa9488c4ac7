/**
 * The Job controller (`pkg/controller/job/job_controller.go`): watches Jobs and their pods; each
 * sync computes a plan with `planJobSync` and carries it out in upstream's order — status first
 * (so finished pods are recorded before their tracking finalizers go), then finalizer removal,
 * then pod deletions and creations (slow-start batches, guarded by expectations).
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Informer } from '../../client/informer.js';
import { namespaceIndex } from '../../client/cache.js';
import { objectKey, splitKey, type ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { getControllerOf } from '../controller-ref.js';
import type { EventRecorder } from '../events.js';
import { ControllerExpectations } from '../expectations.js';
import { slowStartBatch } from '../slow-start.js';
import { hasTrackingFinalizer, jobTrackingFinalizer, podFromTemplate } from './job-pods.js';
import { planJobSync } from './job-sync.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const jobsResource: ResourceRef = builtinRefs.jobs;
export const podsResource: ResourceRef = builtinRefs.pods;

/** kube-controller-manager's --concurrent-job-syncs default. */
const defaultWorkers = 5;

export class JobController implements RunnableController {
  readonly controller: Controller;
  private readonly jobs: Informer<ApiObject>;
  private readonly pods: Informer<ApiObject>;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly expectations: ControllerExpectations;

  constructor(private readonly ctx: ControllerContext, opts: { workers?: number } = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.expectations = new ControllerExpectations(ctx.clock);
    this.jobs = ctx.informers.informerFor(jobsResource);
    this.pods = ctx.informers.informerFor(podsResource);
    this.controller = new Controller({
      name: 'job',
      informers: [this.jobs, this.pods],
      workers: opts.workers ?? defaultWorkers,
      clock: ctx.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: ctx.logger,
    });
    this.jobs.addEventHandler({
      onAdd: (j) => this.controller.enqueue(j),
      onUpdate: (_o, j) => this.controller.enqueue(j),
      onDelete: (j) => this.controller.enqueue(j),
    });
    this.pods.addEventHandler({
      onAdd: (p) => {
        const key = this.ownerKey(p);
        if (!key) return;
        this.expectations.creationObserved(key);
        this.controller.enqueue(key);
      },
      onUpdate: (o, p) => {
        const key = this.ownerKey(p) ?? this.ownerKey(o);
        if (!key) return;
        if (p.metadata.deletionTimestamp && !o.metadata.deletionTimestamp) this.expectations.deletionObserved(key, objectKey(p));
        this.controller.enqueue(key);
      },
      onDelete: (p) => {
        const key = this.ownerKey(p);
        if (!key) return;
        this.expectations.deletionObserved(key, objectKey(p));
        this.controller.enqueue(key);
      },
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  /** `namespace/name` of the Job controlling `pod`, if any. */
  private ownerKey(pod: ApiObject): string | undefined {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'Job' || !ref.apiVersion?.startsWith('batch/')) return undefined;
    return `${pod.metadata.namespace}/${ref.name}`;
  }

  private podsOf(namespace: string, name: string, uid: string | undefined): Pod[] {
    return this.pods.byIndex(namespaceIndex, namespace).filter((p) => {
      const ref = getControllerOf(p);
      return ref?.kind === 'Job' && ref.name === name && (uid === undefined || ref.uid === uid);
    }) as Pod[];
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const { namespace = '', name } = splitKey(key);
    const job = this.jobs.get(key) as Job | undefined;
    if (!job) {
      // The Job is gone: release whatever pods it still holds (upstream's orphan pod handling).
      this.expectations.delete(key);
      await this.removeFinalizers(this.podsOf(namespace, name, undefined).filter(hasTrackingFinalizer), signal);
      return;
    }
    const pods = this.podsOf(namespace, name, job.metadata?.uid);
    const now = this.ctx.clock.now();
    const plan = planJobSync(job, pods, now, { manage: this.expectations.satisfied(key) });

    if (JSON.stringify(plan.status) !== JSON.stringify(job.status ?? {})) {
      await this.client.updateStatus(jobsResource, { ...(job as ApiObject), status: plan.status } as ApiObject, { signal });
    }
    for (const e of plan.events) this.recorder.event(job as ApiObject, e.type, e.reason, e.message);
    await this.removeFinalizers(plan.removeFinalizers, signal);

    if (plan.deletePods.length) {
      this.expectations.expectDeletions(key, plan.deletePods.map((p) => objectKey(p)));
      const results = await Promise.allSettled(plan.deletePods.map((p) => this.client.delete(podsResource, p.metadata!.name!, { namespace, signal })));
      let firstError: unknown;
      results.forEach((r, i) => {
        const pod = plan.deletePods[i];
        if (r.status === 'fulfilled') this.recorder.event(job as ApiObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
        else {
          this.expectations.deletionObserved(key, objectKey(pod));
          if (isStatusError(r.reason) && r.reason.code === 404) return;
          this.recorder.event(job as ApiObject, 'Warning', 'FailedDelete', `Error deleting: ${(r.reason as Error).message}`);
          firstError ??= r.reason;
        }
      });
      if (firstError) throw firstError;
    }

    if (plan.createPods.length) {
      this.expectations.expectCreations(key, plan.createPods.length);
      const queue = [...plan.createPods];
      const { successes, error } = await slowStartBatch(queue.length, 1, async () => {
        const next = queue.shift()!;
        try {
          const created = await this.client.create(podsResource, podFromTemplate(job, next.index, next.failureCounts) as ApiObject, { namespace, signal });
          this.recorder.event(job as ApiObject, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
        } catch (e) {
          this.recorder.event(job as ApiObject, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
          throw e;
        }
      });
      // Creations never attempted or failed will not be observed.
      for (let i = successes; i < plan.createPods.length; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  /** Removes the tracking finalizer (a JSON patch guarded by a test of the element, so a concurrent change conflicts instead of removing the wrong one). */
  private async removeFinalizers(pods: Pod[], signal: AbortSignal): Promise<void> {
    const results = await Promise.allSettled(
      pods.map((p) => {
        const i = p.metadata?.finalizers?.indexOf(jobTrackingFinalizer) ?? -1;
        if (i < 0) return Promise.resolve();
        const patch = [
          { op: 'test', path: `/metadata/finalizers/${i}`, value: jobTrackingFinalizer },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ];
        return this.client.patch(podsResource, p.metadata!.name!, patch, 'json', { namespace: p.metadata?.namespace, signal });
      }),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(isStatusError(r.reason) && r.reason.code === 404));
    if (failure) throw failure.reason;
  }
}

/** The `job` controller for the controller manager. */
export function createJobController(ctx: ControllerContext): RunnableController {
  return new JobController(ctx);
}
