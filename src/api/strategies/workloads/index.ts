import type { ResourceStrategy } from '../../strategy.js';
import { controllerRevisionStrategy } from './controller-revision-strategy.js';
import { cronJobStrategy } from './cron-job-strategy.js';
import { daemonSetStrategy } from './daemon-set-strategy.js';
import { deploymentStrategy, replicaSetStrategy } from './deployment-strategy.js';
import { jobStrategy } from './job-strategy.js';
import { podStrategy, podTemplateStrategy } from './pod-strategy.js';
import { replicationControllerStrategy } from './replication-controller-strategy.js';
import { statefulSetStrategy } from './stateful-set-strategy.js';

/** Pods, pod templates and the kinds that embed them. */
export const workloadStrategies: Record<string, ResourceStrategy> = {
  '/Pod': podStrategy,
  '/PodTemplate': podTemplateStrategy,
  '/ReplicationController': replicationControllerStrategy,
  'apps/Deployment': deploymentStrategy,
  'apps/ReplicaSet': replicaSetStrategy,
  'apps/StatefulSet': statefulSetStrategy,
  'apps/DaemonSet': daemonSetStrategy,
  'apps/ControllerRevision': controllerRevisionStrategy,
  'batch/Job': jobStrategy,
  'batch/CronJob': cronJobStrategy,
};
