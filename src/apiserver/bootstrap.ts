/**
 * Objects every cluster starts with (upstream's bootstrap controller and RBAC/priority-class
 * post-start hooks): the system namespaces and the built-in priority classes. Idempotent.
 */
import { StatusError } from '../api/errors.js';
import { FieldPath } from '../api/field-errors.js';
import { validateNonSpecialIP } from '../api/strategies/cluster/util.js';
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

/** Where the `kubernetes` Service in `default` points: the API server's address and port. */
export interface MasterService {
  /** The first address of the service range. */
  clusterIP: string;
  /** The API server's port (the Service's targetPort). */
  port: number;
  /** The address clients reach the API server on (no Endpoints without one: masterEndpointAddress). */
  advertiseAddress?: string;
}

/**
 * The address the `kubernetes` Endpoints hold: the advertise address unless it is missing,
 * unspecified or link-local (nothing could reach the API server there). A loopback address is kept,
 * unlike upstream, whose Endpoints validation refuses it: a `capstan server` bound to loopback (the
 * default) is reached by pods through their node's service proxy, which forwards the `kubernetes`
 * ClusterIP to the node's own loopback, so in-cluster clients work unchanged.
 */
export function masterEndpointAddress(advertiseAddress: string | undefined): string | undefined {
  if (!advertiseAddress) return undefined;
  return validateNonSpecialIP(advertiseAddress, FieldPath.root('ip'), { allowLoopback: true }).length ? undefined : advertiseAddress;
}

/**
 * The `kubernetes` Service, and its Endpoints and EndpointSlice (upstream's kubernetesservice
 * controller and endpoint reconciler), created when missing and corrected when they point elsewhere.
 * Without an address they may hold (masterEndpointAddress) there are none: ones an earlier start
 * wrote are deleted.
 */
export async function ensureMasterService(registry: ResourceRegistry, m: MasterService): Promise<void> {
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  const services = registry.lookup('', 'v1', 'services');
  if (!services) return;
  const ports = [{ name: 'https', protocol: 'TCP', port: 443, targetPort: m.port }];
  const wanted: ApiObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: { type: 'ClusterIP', clusterIP: m.clusterIP, clusterIPs: [m.clusterIP], ports, sessionAffinity: 'None', ipFamilyPolicy: 'SingleStack' },
  };
  const existing = await services.store.get('default', 'kubernetes').catch(() => undefined);
  if (!existing) await ensure(registry, '', 'v1', 'services', wanted);
  else if (JSON.stringify((existing.spec as { ports?: unknown }).ports) !== JSON.stringify(ports)) {
    await services.store.update('default', 'kubernetes', (cur) => cur && { ...cur, spec: { ...(cur.spec as object), ports } }, { dryRun: false, fieldManager: 'capstan-bootstrap' });
  }
  const ip = masterEndpointAddress(m.advertiseAddress);
  if (!ip) {
    await removeIfPresent(registry, '', 'v1', 'endpoints', 'default', 'kubernetes');
    await removeIfPresent(registry, 'discovery.k8s.io', 'v1', 'endpointslices', 'default', 'kubernetes');
    return;
  }
  const family = ip.includes(':') ? 'IPv6' : 'IPv4';
  await upsert(registry, '', 'v1', 'endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port: m.port, protocol: 'TCP' }] }],
  });
  await upsert(registry, 'discovery.k8s.io', 'v1', 'endpointslices', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: family,
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port: m.port, protocol: 'TCP' }],
  });
}

/** The `kube-dns` Service's ClusterIP: the tenth address of the service range (10.43.0.10, 127.10.0.10). */
export function dnsServiceIP(firstIP: string): string {
  const b = firstIP.split('.').map(Number);
  const n = (((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3] + 9) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The `kube-dns` Service in `kube-system`, labelled as upstream's CoreDNS add-on. It has no
 * selector: its Endpoints and EndpointSlice point at the DNS server of `capstan server`
 * (ensureDnsEndpoints), and every agent's service proxy carries the ClusterIP there. Created
 * when missing; an existing one is left as it is (its ClusterIP cannot change). Returns the
 * Service's ClusterIP.
 */
export async function ensureDnsService(registry: ResourceRegistry, clusterIP: string): Promise<string> {
  // An existing one is kept (creating it again would be refused for its address before its name).
  const found = await registry.lookup('', 'v1', 'services')?.store.get('kube-system', 'kube-dns').catch(() => undefined);
  if (!found) await ensure(registry, '', 'v1', 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  });
  const existing = await registry.lookup('', 'v1', 'services')?.store.get('kube-system', 'kube-dns').catch(() => undefined);
  const ip = (existing?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  return ip && ip !== 'None' ? ip : clusterIP;
}

/** The kube-dns Endpoints and EndpointSlice: the server's DNS listener (UDP and TCP) and its metrics port. */
export async function ensureDnsEndpoints(registry: ResourceRegistry, e: { address: string; dnsPort: number; metricsPort?: number }): Promise<void> {
  const ports = [
    { name: 'dns', port: e.dnsPort, protocol: 'UDP' },
    { name: 'dns-tcp', port: e.dnsPort, protocol: 'TCP' },
    ...(e.metricsPort ? [{ name: 'metrics', port: e.metricsPort, protocol: 'TCP' }] : []),
  ];
  await upsert(registry, '', 'v1', 'endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: e.address }], ports }],
  });
  await upsert(registry, 'discovery.k8s.io', 'v1', 'endpointslices', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'k8s-app': 'kube-dns' } },
    addressType: e.address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [e.address], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  });
}

async function removeIfPresent(registry: ResourceRegistry, group: string, version: string, plural: string, namespace: string, name: string): Promise<void> {
  const entry = registry.lookup(group, version, plural);
  if (!entry) return;
  try {
    await entry.store.delete(namespace, name, { dryRun: false });
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return;
    throw e;
  }
}

/** Creates or replaces (keeping metadata the server owns) a bootstrap object. */
async function upsert(registry: ResourceRegistry, group: string, version: string, plural: string, obj: ApiObject): Promise<void> {
  const entry = registry.lookup(group, version, plural);
  if (!entry) return;
  const { namespace, name } = obj.metadata;
  await entry.store.update(namespace, name!, (cur) => ({ ...obj, metadata: { ...(cur?.metadata ?? {}), ...obj.metadata } }), {
    dryRun: false,
    fieldManager: 'capstan-bootstrap',
    createIfMissing: 'always',
  });
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
