/**
 * apps/v1 and batch/v1 printers: Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * ControllerRevision, Job, CronJob. Follows pkg/printers/internalversion/printers.go (v1.32).
 */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { ageColumn, column, containersColumn, formatLabelSelector, formatLabels, imagesColumn, int, labelSelectorString, layoutContainerCells, nameColumn, printBoolPtr, wide } from './format.js';
import { humanDuration, parseTimestamp, translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date): string => translateTimestampSince(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';

export const deploymentPrinter: Printer<Deployment> = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'apps.DeploymentStatus.updatedReplicas'),
    column('Available', 'string', 'apps.DeploymentStatus.availableReplicas'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'apps.DeploymentSpec.selector', { priority: wide }),
  ],
  cells(d, now) {
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    // The plain selector string here: an empty selector prints '' rather than <none>.
    const selector = labelSelectorString(d.spec?.selector) ?? '<invalid>';
    return [name(d), `${int(d.status?.readyReplicas)}/${d.spec?.replicas ?? 1}`, int(d.status?.updatedReplicas), int(d.status?.availableReplicas), age(d, now), names, images, selector];
  },
};

export const replicaSetPrinter: Printer<ReplicaSet> = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'apps.ReplicaSetSpec.replicas'),
    column('Current', 'integer', 'apps.ReplicaSetStatus.replicas'),
    column('Ready', 'integer', 'apps.ReplicaSetStatus.readyReplicas'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'apps.ReplicaSetSpec.selector', { priority: wide }),
  ],
  cells(rs, now) {
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [name(rs), rs.spec?.replicas ?? 1, int(rs.status?.replicas), int(rs.status?.readyReplicas), age(rs, now), names, images, formatLabelSelector(rs.spec?.selector)];
  },
};

export const statefulSetPrinter: Printer<StatefulSet> = {
  columns: [nameColumn(), column('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersColumn(), imagesColumn()],
  cells(ss, now) {
    const [names, images] = layoutContainerCells(ss.spec?.template?.spec?.containers);
    return [name(ss), `${int(ss.status?.readyReplicas)}/${ss.spec?.replicas ?? 1}`, age(ss, now), names, images];
  },
};

export const daemonSetPrinter: Printer<DaemonSet> = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'apps.DaemonSetStatus.desiredNumberScheduled'),
    column('Current', 'integer', 'apps.DaemonSetStatus.currentNumberScheduled'),
    column('Ready', 'integer', 'apps.DaemonSetStatus.numberReady'),
    column('Up-to-date', 'integer', 'apps.DaemonSetStatus.updatedNumberScheduled'),
    column('Available', 'integer', 'apps.DaemonSetStatus.numberAvailable'),
    column('Node Selector', 'string', 'core.PodSpec.nodeSelector'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'apps.DaemonSetSpec.selector', { priority: wide }),
  ],
  cells(ds, now) {
    const s = ds.status;
    const [names, images] = layoutContainerCells(ds.spec?.template?.spec?.containers);
    return [
      name(ds),
      int(s?.desiredNumberScheduled),
      int(s?.currentNumberScheduled),
      int(s?.numberReady),
      int(s?.updatedNumberScheduled),
      int(s?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/** GroupKind.String() of an apiVersion and kind, lower-cased: `daemonset.apps`, `pod`. */
function groupKindString(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  return (group ? `${kind}.${group}` : kind).toLowerCase();
}

export const controllerRevisionPrinter: Printer<ControllerRevision> = {
  columns: [nameColumn(), column('Controller', 'string', 'Controller of the object'), column('Revision', 'string', 'apps.ControllerRevision.revision'), ageColumn()],
  cells(cr, now) {
    const ref = cr.metadata?.ownerReferences?.find((r) => r.controller === true);
    let controller = '<none>';
    if (ref) controller = ref.kind ? `${groupKindString(ref.apiVersion, ref.kind)}/${ref.name}` : ref.name;
    return [name(cr), controller, int(cr.revision), age(cr, now)];
  },
};

/** hasJobCondition: the first condition of the type decides. */
function hasJobCondition(conditions: readonly JobCondition[] | undefined, type: string): boolean {
  const c = (conditions ?? []).find((x) => x.type === type);
  return c?.status === 'True';
}

export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasJobCondition(conditions, 'Complete')) return 'Complete';
  if (hasJobCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasJobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer<Job> = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'batch.JobStatus.succeeded'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'batch.JobSpec.selector', { priority: wide }),
  ],
  cells(job, now) {
    const succeeded = int(job.status?.succeeded);
    let completions: string;
    if (job.spec?.completions !== undefined && job.spec.completions !== null) {
      completions = `${succeeded}/${job.spec.completions}`;
    } else {
      const parallelism = job.spec?.parallelism ?? 0;
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const start = parseTimestamp(job.status?.startTime);
    const completion = parseTimestamp(job.status?.completionTime);
    let duration = '';
    if (start !== undefined) duration = humanDuration((completion ?? now.getTime()) - start);
    const [names, images] = layoutContainerCells(job.spec?.template?.spec?.containers);
    return [name(job), jobStatus(job), completions, duration, age(job, now), names, images, formatLabelSelector(job.spec?.selector)];
  },
};

export const cronJobPrinter: Printer<CronJob> = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'batch.CronJobSpec.schedule'),
    column('Timezone', 'string', 'batch.CronJobSpec.timeZone'),
    column('Suspend', 'boolean', 'batch.CronJobSpec.suspend'),
    column('Active', 'integer', 'batch.CronJobStatus.active'),
    column('Last Schedule', 'string', 'batch.CronJobStatus.lastScheduleTime'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'batch.JobSpec.selector', { priority: wide }),
  ],
  cells(cj, now) {
    const lastSchedule = cj.status?.lastScheduleTime ? translateTimestampSince(cj.status.lastScheduleTime, now) : '<none>';
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = layoutContainerCells(jobSpec?.template?.spec?.containers);
    return [
      name(cj),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      printBoolPtr(cj.spec?.suspend),
      (cj.status?.active ?? []).length,
      lastSchedule,
      age(cj, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};
