/**
 * Which converter serves which resource: the printers kube-apiserver wires into each built-in
 * registry (pkg/registry/<group>/<resource>/storage: printerstorage.TableConvertor), and the
 * default table for the rest (LimitRange, Role, ClusterRole, and any resource not listed).
 */
import type { TableConverter } from './types.js';
import { printerConverter, type Printer } from './printer.js';
import { defaultTableConverter } from './default-table.js';
import { podPrinter } from './pod-printer.js';
import { endpointsPrinter, nodePrinter, servicePrinter } from './node-service-printers.js';
import {
  configMapPrinter,
  namespacePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  podTemplatePrinter,
  replicationControllerPrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './core-printers.js';
import { eventPrinter } from './event-printer.js';
import { controllerRevisionPrinter, cronJobPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from './workload-printers.js';
import { endpointSlicePrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from './networking-printers.js';
import {
  clusterRoleBindingPrinter,
  horizontalPodAutoscalerPrinter,
  leasePrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  storageClassPrinter,
} from './cluster-printers.js';
import { gatewayClassPrinter, gatewayPrinter, httpRoutePrinter, referenceGrantPrinter } from './gateway-printers.js';

/** `group/resource` ('' for core) → printer. */
const printers: Record<string, Printer<never>> = {
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/namespaces': namespacePrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/events': eventPrinter,
  '/persistentvolumes': persistentVolumePrinter,
  '/persistentvolumeclaims': persistentVolumeClaimPrinter,
  '/resourcequotas': resourceQuotaPrinter,
  '/podtemplates': podTemplatePrinter,
  '/replicationcontrollers': replicationControllerPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'batch/jobs': jobPrinter,
  'batch/cronjobs': cronJobPrinter,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerPrinter,
  'policy/poddisruptionbudgets': podDisruptionBudgetPrinter,
  'networking.k8s.io/ingresses': ingressPrinter,
  'networking.k8s.io/ingressclasses': ingressClassPrinter,
  'networking.k8s.io/networkpolicies': networkPolicyPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  'scheduling.k8s.io/priorityclasses': priorityClassPrinter,
  'events.k8s.io/events': eventPrinter,
  'rbac.authorization.k8s.io/rolebindings': roleBindingPrinter,
  'rbac.authorization.k8s.io/clusterrolebindings': clusterRoleBindingPrinter,
  'gateway.networking.k8s.io/gatewayclasses': gatewayClassPrinter,
  'gateway.networking.k8s.io/gateways': gatewayPrinter,
  'gateway.networking.k8s.io/httproutes': httpRoutePrinter,
  'gateway.networking.k8s.io/referencegrants': referenceGrantPrinter,
};

const converters = new Map<string, TableConverter>(Object.entries(printers).map(([k, p]) => [k, printerConverter(p)]));

/**
 * The table converter of a resource (plural, lower case). Resources without a printer, CRDs
 * included, get the default NAME / CREATED AT table.
 */
export function tableConverterFor(group: string, resource: string): TableConverter {
  return converters.get(`${group}/${resource}`) ?? defaultTableConverter;
}

/** Whether a resource has a printer of its own (rather than the default table). */
export function hasPrinter(group: string, resource: string): boolean {
  return converters.has(`${group}/${resource}`);
}
