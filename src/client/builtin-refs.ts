/**
 * Where the built-in resources the components use live in the API (group, version, plural,
 * scope), defined once for every controller, the scheduler, the node agent and the simulated nodes.
 */
import type { ResourceRef } from './resource-path.js';

export const builtinRefs = {
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  controllerrevisions: { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true },
  cronjobs: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  endpoints: { group: '', version: 'v1', plural: 'endpoints', namespaced: true },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', namespaced: true },
  horizontalpodautoscalers: { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  persistentvolumeclaims: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  poddisruptionbudgets: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true },
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', namespaced: true },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
} as const satisfies Record<string, ResourceRef>;
