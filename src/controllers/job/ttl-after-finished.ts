/**
 * The TTL-after-finished controller (`pkg/controller/ttlafterfinished/ttlafterfinished_controller.go`):
 * a finished Job with `spec.ttlSecondsAfterFinished` is deleted (propagation Background, guarded by
 * its uid) once that many seconds have passed since it finished; until then its key is requeued for
 * the moment it expires.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { ApiObject } from '../../api/object.js';
import { isStatusError } from '../../api/errors.js';
import { splitKey } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { isJobFinished } from './job-conditions.js';
import { jobsResource } from './job-controller.js';

/** When the Job finished (completionTime, else the Complete/Failed condition's transition), in ms; undefined if not finished. */
export function jobFinishTime(job: Job): number | undefined {
  if (!isJobFinished(job)) return undefined;
  if (job.status?.completionTime) return Date.parse(job.status.completionTime);
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

/** How long until the Job may be deleted: undefined when it has no TTL or has not finished (or is being deleted), 0 when expired. */
export function timeLeftMs(job: Job, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return undefined;
  const finished = jobFinishTime(job);
  if (finished === undefined || Number.isNaN(finished)) return undefined;
  return Math.max(0, finished + ttl * 1000 - now);
}

export class TtlAfterFinishedController implements RunnableController {
  readonly controller: Controller;

  constructor(private readonly ctx: ControllerContext) {
    const jobs = ctx.informers.informerFor(jobsResource);
    this.controller = new Controller({
      name: 'ttl-after-finished',
      informers: [jobs],
      workers: 5,
      clock: ctx.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: ctx.logger,
    });
    const enqueue = (j: ApiObject) => {
      if (timeLeftMs(j as Job, 0) !== undefined) this.controller.enqueue(j);
    };
    jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.ctx.informers.informerFor(jobsResource).get(key) as Job | undefined;
    if (!cached) return;
    let left = timeLeftMs(cached, this.ctx.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    // The cache may be stale (a changed TTL): decide again on a fresh read, as upstream does.
    let fresh: Job;
    try {
      fresh = await this.ctx.client.get<Job>(jobsResource, name, { namespace, signal });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
    left = timeLeftMs(fresh, this.ctx.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    this.ctx.logger.info('cleaning up finished job', { job: key });
    try {
      await this.ctx.client.delete(jobsResource, name, { namespace, signal, propagationPolicy: 'Background', preconditions: { uid: fresh.metadata?.uid } });
    } catch (e) {
      if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}

/** The `ttl-after-finished` controller for the controller manager. */
export function createTtlAfterFinishedController(ctx: ControllerContext): RunnableController {
  return new TtlAfterFinishedController(ctx);
}
