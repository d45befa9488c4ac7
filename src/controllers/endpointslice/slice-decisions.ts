/**
 * The EndpointSlices a Service should have (upstream pkg/controller/endpointslice reconciler,
 * pure): one endpoint per selected pod with an address of the slice's family, conditions ready /
 * serving / terminating, endpoints grouped by their resolved port set into slices of at most
 * `maxEndpointsPerSlice`, changing as few existing slices as it can: kept endpoints stay where
 * they are, new ones fill slices that change anyway, then slices with room, then new slices. A
 * Service without endpoints keeps one empty placeholder slice.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { jsonEqual } from '../../api/object.js';
import { isPodReady } from '../pod-util.js';
import { endpointHostname, endpointsLabels, findPort, podHasEndpoint, selectedPods } from '../endpoint/pod-endpoints.js';

export const maxEndpointsPerSlice = 100;
export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
const zoneLabel = 'topology.kubernetes.io/zone';

type AddressType = 'IPv4' | 'IPv6';

/** The pod's address of a family, if it has one. */
function podAddress(pod: Pod, family: AddressType): string | undefined {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip ?? '').concat(pod.status?.podIP ?? '');
  return ips.find((ip) => ip && (family === 'IPv6') === ip.includes(':'));
}

/** The endpoint of one pod (upstream podToEndpoint). */
export function podEndpoint(pod: Pod, service: Service, family: AddressType, node: Node | undefined): Endpoint | undefined {
  const address = podAddress(pod, family);
  if (!address) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = !!service.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [address],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[zoneLabel];
  if (zone) ep.zone = zone;
  const hostname = endpointHostname(pod, service);
  if (hostname) ep.hostname = hostname;
  return ep;
}

/** The slice ports of a pod: each service port whose target resolves on it. */
export function podSlicePorts(pod: Pod, service: Service): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

export const portSetKey = (ports: readonly EndpointPort[] | undefined): string =>
  JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
const endpointKey = (e: Endpoint): string => `${e.targetRef?.uid ?? ''}/${e.addresses[0]}`;

export interface DesiredGroup {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** The service's endpoints grouped by port set, for one address family. */
export function desiredGroups(service: Service, pods: readonly Pod[], family: AddressType, nodes: (name: string) => Node | undefined): Map<string, DesiredGroup> {
  const groups = new Map<string, DesiredGroup>();
  for (const pod of selectedPods(service, pods)) {
    if (!podHasEndpoint(pod, true)) continue;
    const ep = podEndpoint(pod, service, family, pod.spec?.nodeName ? nodes(pod.spec.nodeName) : undefined);
    if (!ep) continue;
    const ports = podSlicePorts(pod, service);
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/** Who manages a set of slices and what they carry besides the service name (the mirroring controller differs). */
export interface SliceOptions {
  /** The managed-by label's value (default this controller's). */
  manager?: string;
  /** Labels to start from instead of the Service's (the mirroring controller copies the Endpoints'). */
  baseLabels?: Record<string, string>;
  /** Keep one empty slice when there are no endpoints (default true; mirroring keeps none). */
  placeholder?: boolean;
}

/** The metadata every slice of the service carries: labels and the controlling owner reference. */
export function sliceMeta(service: Service, opts: SliceOptions = {}): { labels: Record<string, string>; ownerReferences: NonNullable<EndpointSlice['metadata']>['ownerReferences'] } {
  const extra = { [serviceNameLabel]: service.metadata?.name ?? '', [managedByLabel]: opts.manager ?? controllerName };
  const labels = opts.baseLabels ? { ...opts.baseLabels, ...extra } : endpointsLabels(service, extra);
  return {
    labels,
    ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service.metadata?.name ?? '', uid: service.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
  };
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function newSlice(service: Service, family: AddressType, ports: EndpointPort[] | undefined, endpoints: Endpoint[], meta: ReturnType<typeof sliceMeta>): EndpointSlice {
  const name = service.metadata?.name ?? '';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: `${name}-`, namespace: service.metadata?.namespace, ...meta },
    addressType: family,
    endpoints,
    ...(ports ? { ports } : {}),
  };
}

const isPlaceholder = (s: EndpointSlice): boolean => !(s.endpoints ?? []).length && !(s.ports ?? []).length;

/** What to create, update and delete so that `existing` (this controller's slices of the service) say `desired`. */
export function planSlices(service: Service, family: AddressType, desired: Map<string, DesiredGroup>, existing: readonly EndpointSlice[], max = maxEndpointsPerSlice, opts: SliceOptions = {}): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const meta = sliceMeta(service, opts);
  const placed = new Set<string>();
  /** Slices kept, by port set, with whether they are already being rewritten. */
  const kept = new Map<string, { slice: EndpointSlice; changed: boolean }[]>();
  let placeholder: EndpointSlice | undefined;
  for (const old of existing) {
    if (old.addressType !== family) {
      plan.delete.push(old);
      continue;
    }
    if (isPlaceholder(old) && !placeholder) {
      placeholder = old;
      continue;
    }
    const key = portSetKey(old.ports);
    const group = desired.get(key);
    if (!group) {
      plan.delete.push(old);
      continue;
    }
    const endpoints: Endpoint[] = [];
    let changed = false;
    for (const ep of old.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = group.endpoints.get(k);
      if (!want || placed.has(k)) {
        changed = true;
        continue;
      }
      placed.add(k);
      if (!jsonEqual(ep, want)) changed = true;
      endpoints.push(want);
    }
    if (!endpoints.length) {
      plan.delete.push(old);
      continue;
    }
    const labelsChanged = !jsonEqual(old.metadata?.labels ?? {}, meta.labels) || !jsonEqual(old.metadata?.ownerReferences ?? [], meta.ownerReferences);
    const slice: EndpointSlice = { ...old, metadata: { ...old.metadata, ...meta }, endpoints };
    const list = kept.get(key) ?? [];
    list.push({ slice, changed: changed || labelsChanged });
    kept.set(key, list);
  }
  for (const [key, group] of desired) {
    const todo = [...group.endpoints].filter(([k]) => !placed.has(k)).map(([, e]) => e);
    const slices = kept.get(key) ?? [];
    // Fill slices that are rewritten anyway first, then those with room.
    for (const pass of [true, false]) {
      for (const s of slices) {
        if (s.changed !== pass) continue;
        while (todo.length && s.slice.endpoints.length < max) {
          s.slice.endpoints.push(todo.shift()!);
          s.changed = true;
        }
      }
    }
    while (todo.length) plan.create.push(newSlice(service, family, group.ports, todo.splice(0, max), meta));
    for (const s of slices) if (s.changed) plan.update.push(s.slice);
  }
  const anyEndpoints = plan.create.length > 0 || [...kept.values()].some((l) => l.length > 0);
  if (placeholder) {
    if (anyEndpoints || opts.placeholder === false) plan.delete.push(placeholder);
    else if (!jsonEqual(placeholder.metadata?.labels ?? {}, meta.labels) || !jsonEqual(placeholder.metadata?.ownerReferences ?? [], meta.ownerReferences))
      plan.update.push({ ...placeholder, metadata: { ...placeholder.metadata, ...meta } });
  } else if (!anyEndpoints && opts.placeholder !== false) {
    plan.create.push(newSlice(service, family, undefined, [], meta));
  }
  return plan;
}
