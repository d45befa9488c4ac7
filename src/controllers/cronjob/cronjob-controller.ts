/**
 * The CronJob controller (`pkg/controller/cronjob/cronjob_controllerv2.go`): watches CronJobs and
 * the Jobs they own; each sync carries out `planCronJobSync` (delete, create, write status) and
 * requeues the key for just after the next schedule time — no polling. Time comes from the
 * context's Clock, so tests drive schedules with a FakeClock.
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ApiObject } from '../../api/object.js';
import { isStatusError } from '../../api/errors.js';
import { namespaceIndex } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { splitKey, type ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { getControllerOf } from '../controller-ref.js';
import { isJobFinished } from '../job/job-conditions.js';
import { jobRef, planCronJobSync } from './cronjob-sync.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const cronJobsResource: ResourceRef = builtinRefs.cronjobs;
const jobsResource: ResourceRef = builtinRefs.jobs;

export class CronJobController implements RunnableController {
  readonly controller: Controller;
  private readonly cronJobs: Informer<ApiObject>;
  private readonly jobs: Informer<ApiObject>;

  constructor(private readonly ctx: ControllerContext, opts: { workers?: number } = {}) {
    this.cronJobs = ctx.informers.informerFor(cronJobsResource);
    this.jobs = ctx.informers.informerFor(jobsResource);
    this.controller = new Controller({
      name: 'cronjob',
      informers: [this.cronJobs, this.jobs],
      // kube-controller-manager's --concurrent-cron-job-syncs default.
      workers: opts.workers ?? 5,
      clock: ctx.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: ctx.logger,
    });
    this.cronJobs.addEventHandler({ onAdd: (c) => this.controller.enqueue(c), onUpdate: (_o, c) => this.controller.enqueue(c) });
    const enqueueOwner = (j: ApiObject) => {
      const ref = getControllerOf(j);
      if (ref?.kind === 'CronJob') this.controller.enqueue(`${j.metadata.namespace}/${ref.name}`);
    };
    this.jobs.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_o, j) => enqueueOwner(j), onDelete: enqueueOwner });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const { namespace = '' } = splitKey(key);
    const cj = this.cronJobs.get(key) as CronJob | undefined;
    if (!cj) return;
    const uid = cj.metadata?.uid;
    const jobs = this.jobs.byIndex(namespaceIndex, namespace).filter((j) => getControllerOf(j)?.uid === uid) as Job[];
    // An active Job missing from the cache may just be new: ask the API before forgetting it.
    for (const r of cj.status?.active ?? []) {
      if (!r.name || jobs.some((j) => j.metadata?.uid === r.uid)) continue;
      try {
        const j = await this.ctx.client.get<Job>(jobsResource, r.name, { namespace, signal });
        if (j.metadata?.uid === r.uid) jobs.push(j);
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
    const plan = planCronJobSync(cj, jobs, this.ctx.clock.now());
    const record = (type: 'Normal' | 'Warning', reason: string, message: string) => this.ctx.recorder.event(cj as ApiObject, type, reason, message);
    for (const e of plan.events) record(e.type, e.reason, e.message);

    for (const j of plan.deleteJobs) {
      try {
        await this.ctx.client.delete(jobsResource, j.metadata!.name!, { namespace, signal, propagationPolicy: 'Background' });
        record('Normal', 'SuccessfulDelete', `Deleted job ${j.metadata?.name}`);
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) {
          record('Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
          throw e;
        }
      }
    }

    if (plan.createJob) {
      let created: Job | undefined;
      try {
        created = await this.ctx.client.create(jobsResource, plan.createJob as ApiObject, { namespace, signal }) as Job;
        record('Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
      } catch (e) {
        if (!(isStatusError(e) && e.code === 409 && e.reason === 'AlreadyExists')) {
          record('Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
          throw e;
        }
        // Created by an earlier sync whose status write was lost: take it over if it is ours.
        const existing = await this.ctx.client.get<Job>(jobsResource, plan.createJob.metadata!.name!, { namespace, signal });
        if (getControllerOf(existing)?.uid === uid && !isJobFinished(existing)) created = existing;
      }
      if (created && !(plan.status.active ?? []).some((r) => r.uid === created!.metadata?.uid)) plan.status.active = [...(plan.status.active ?? []), jobRef(created)];
    }

    if (JSON.stringify(plan.status) !== JSON.stringify(cj.status ?? {})) {
      await this.ctx.client.updateStatus(cronJobsResource, { ...(cj as ApiObject), status: plan.status } as ApiObject, { signal });
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, plan.requeueAfterMs) } : undefined;
  }
}

/** The `cronjob` controller for the controller manager. */
export function createCronJobController(ctx: ControllerContext): RunnableController {
  return new CronJobController(ctx);
}
