/**
 * Objects every cluster starts with (upstream's bootstrap controller and RBAC/priority-class
 * post-start hooks): the system namespaces and the built-in priority classes. Idempotent.
 */
import { StatusError } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import type { ResourceRegistry } from './registry/resource-registry.js';

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const priorityClasses = [
  { name: 'system-node-critical', value: 2000001000, description: 'For pods critical to a node itself; they are never moved elsewhere.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'For pods critical to the cluster; they may move to another node.' },
];

async function ensure(registry: ResourceRegistry, group: string, version: string, plural: string, obj: ApiObject): Promise<void> {
  const entry = registry.lookup(group, version, plural);
  if (!entry) return;
  try {
    await entry.store.create(obj.metadata.namespace, obj, { dryRun: false, fieldManager: 'capstan-bootstrap' });
  } catch (e) {
    if (e instanceof StatusError && e.code === 409) return;
    throw e;
  }
}

export async function bootstrapCluster(registry: ResourceRegistry): Promise<void> {
  for (const name of systemNamespaces) {
    await ensure(registry, '', 'v1', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  }
  for (const pc of priorityClasses) {
    await ensure(registry, 'scheduling.k8s.io', 'v1', 'priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: pc.name },
      value: pc.value,
      description: pc.description,
    });
  }
}
