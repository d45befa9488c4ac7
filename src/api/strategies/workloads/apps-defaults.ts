/**
 * Scheme defaults of the apps/v1 and core/v1 controllers that embed a pod template
 * (pkg/apis/apps/v1/defaults.go, SetDefaults_ReplicationController in pkg/apis/core/v1/defaults.go).
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import { defaultPodTemplateSpec, defaultPVC } from './pod-defaults.js';
import { isObject } from './util.js';

/** A non-pointer template as Go has it: always present, then defaulted. */
function template(spec: { template?: PodTemplateSpec }): void {
  if (!isObject(spec.template)) spec.template = {};
  defaultPodTemplateSpec(spec.template);
}

export function defaultDeployment(d: Deployment): void {
  const spec = (d.spec ??= {} as NonNullable<Deployment['spec']>);
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  template(spec);
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  const spec = (rs.spec ??= {} as NonNullable<ReplicaSet['spec']>);
  spec.replicas ??= 1;
  template(spec);
}

/** SetDefaults_ReplicationController: selector and labels default to the template's labels. */
export function defaultReplicationController(rc: ReplicationController): void {
  const spec = (rc.spec ??= {});
  const labels = isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  if (labels) {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    if (!rc.metadata?.labels || Object.keys(rc.metadata.labels).length === 0) (rc.metadata ??= {}).labels = { ...labels };
  }
  spec.replicas ??= 1;
  // The RC template is a pointer upstream: defaulted only when present.
  if (isObject(spec.template)) defaultPodTemplateSpec(spec.template);
}

export function defaultStatefulSet(s: StatefulSet): void {
  const spec = (s.spec ??= {} as NonNullable<StatefulSet['spec']>);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && isObject(us.rollingUpdate)) us.rollingUpdate.partition ??= 0;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  template(spec);
  for (const pvc of spec.volumeClaimTemplates ?? []) {
    if (!isObject(pvc)) continue;
    const meta = (pvc.metadata ??= {}) as Record<string, unknown>;
    if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
    defaultPVC(pvc as PersistentVolumeClaim);
  }
}

export function defaultDaemonSet(ds: DaemonSet): void {
  const spec = (ds.spec ??= {} as NonNullable<DaemonSet['spec']>);
  const us = (spec.updateStrategy ??= {});
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  template(spec);
}
