import type { ResourceStrategy } from '../../strategy.js';
import { configMapStrategy } from './configmap.js';
import { endpointSliceStrategy } from './endpoint-slice.js';
import { endpointsStrategy } from './endpoints.js';
import { coreEventStrategy, eventsV1EventStrategy } from './event.js';
import { horizontalPodAutoscalerStrategy } from './horizontal-pod-autoscaler.js';
import { ingressClassStrategy, ingressStrategy } from './ingress.js';
import { leaseStrategy } from './lease.js';
import { limitRangeStrategy } from './limit-range.js';
import { namespaceStrategy } from './namespace.js';
import { networkPolicyStrategy } from './network-policy.js';
import { nodeStrategy } from './node.js';
import { persistentVolumeClaimStrategy } from './persistent-volume-claim.js';
import { persistentVolumeStrategy } from './persistent-volume.js';
import { podDisruptionBudgetStrategy } from './pod-disruption-budget.js';
import { priorityClassStrategy } from './priority-class.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac.js';
import { resourceQuotaStrategy } from './resource-quota.js';
import { secretStrategy } from './secret.js';
import { serviceAccountStrategy } from './service-account.js';
import { serviceStrategy } from './service.js';
import { storageClassStrategy } from './storage-class.js';

export { conversions } from './conversions.js';
export type { ClusterStrategy } from './util.js';

/**
 * Every built-in kind that does not embed a pod template. Strategies of kinds served in two
 * versions (HPAs, Events) work on the storage version's shape: requests are converted first.
 * Some carry `nameValidator`, the kind's metadata.name rule (see ClusterStrategy).
 */
export const clusterStrategies: Record<string, ResourceStrategy> = {
  '/Namespace': namespaceStrategy,
  '/Node': nodeStrategy,
  '/Service': serviceStrategy,
  '/Endpoints': endpointsStrategy,
  '/ConfigMap': configMapStrategy,
  '/Secret': secretStrategy,
  '/ServiceAccount': serviceAccountStrategy,
  '/Event': coreEventStrategy,
  '/PersistentVolume': persistentVolumeStrategy,
  '/PersistentVolumeClaim': persistentVolumeClaimStrategy,
  '/LimitRange': limitRangeStrategy,
  '/ResourceQuota': resourceQuotaStrategy,
  'autoscaling/HorizontalPodAutoscaler': horizontalPodAutoscalerStrategy,
  'policy/PodDisruptionBudget': podDisruptionBudgetStrategy,
  'networking.k8s.io/Ingress': ingressStrategy,
  'networking.k8s.io/IngressClass': ingressClassStrategy,
  'networking.k8s.io/NetworkPolicy': networkPolicyStrategy,
  'discovery.k8s.io/EndpointSlice': endpointSliceStrategy,
  'coordination.k8s.io/Lease': leaseStrategy,
  'storage.k8s.io/StorageClass': storageClassStrategy,
  'scheduling.k8s.io/PriorityClass': priorityClassStrategy,
  'events.k8s.io/Event': eventsV1EventStrategy,
  'rbac.authorization.k8s.io/Role': roleStrategy,
  'rbac.authorization.k8s.io/ClusterRole': clusterRoleStrategy,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingStrategy,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingStrategy,
};
