/**
 * The Endpoints object a Service should have (upstream pkg/controller/endpoint syncService, pure):
 * one address per selected pod with an IP, ready pods under `addresses` and the rest under
 * `notReadyAddresses` (all ready with publishNotReadyAddresses), ports resolved per pod, subsets
 * packed by identical port sets, at most 1,000 addresses with the over-capacity annotation.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../../api/object.js';
import { isPodReady } from '../pod-util.js';
import { endpointHostname, endpointsLabels, findPort, podHasEndpoint, selectedPods } from './pod-endpoints.js';

export const maxEndpointsAddresses = 1000;
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * A pod that will not run again does not belong among the not-ready addresses (upstream
 * shouldPodBeInEndpoints for restart policies): Never pods that finished, OnFailure pods that succeeded.
 */
function mayBecomeReady(pod: Pod): boolean {
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

const portKey = (ports: EndpointPort[]): string => JSON.stringify(ports.map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
const addressKey = (a: EndpointAddress): string => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const compareAddresses = (a: EndpointAddress, b: EndpointAddress): number => (addressKey(a) < addressKey(b) ? -1 : addressKey(a) > addressKey(b) ? 1 : 0);

/** The subsets for a service (RepackSubsets + SortSubsets): one per distinct port set, addresses sorted. */
export function endpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const tolerateUnready = !!service.spec?.publishNotReadyAddresses;
  const servicePorts = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>();
  for (const pod of selectedPods(service, pods)) {
    if (!podHasEndpoint(pod, tolerateUnready)) continue;
    const address: EndpointAddress = {
      ip: pod.status!.podIP!,
      nodeName: pod.spec?.nodeName || undefined,
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    const hostname = endpointHostname(pod, service);
    if (hostname) address.hostname = hostname;
    const ports: EndpointPort[] = [];
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name || undefined, port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    // A pod none of whose ports resolve is left out, except by a headless service without ports.
    if (!ports.length && !(headless && servicePorts.length === 0)) continue;
    const key = portKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: new Map(), notReady: new Map() }));
    if (tolerateUnready || isPodReady(pod)) g.ready.set(addressKey(address), address);
    else if (mayBecomeReady(pod)) g.notReady.set(addressKey(address), address);
  }
  const subsets: EndpointSubset[] = [];
  for (const [, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!g.ready.size && !g.notReady.size) continue;
    const ss: EndpointSubset = {};
    if (g.ready.size) ss.addresses = [...g.ready.values()].sort(compareAddresses);
    if (g.notReady.size) ss.notReadyAddresses = [...g.notReady.values()].sort(compareAddresses);
    if (g.ports.length) ss.ports = [...g.ports].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port));
    subsets.push(ss);
  }
  return subsets;
}

/** Caps the subsets at maxEndpointsAddresses addresses (ready ones first), as upstream's truncation. */
export function truncateSubsets(subsets: EndpointSubset[], max = maxEndpointsAddresses): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= max) return { subsets, truncated: false };
  let room = max;
  const out: EndpointSubset[] = subsets.map((s) => ({ ...s }));
  for (const s of out) {
    const take = Math.min(room, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, take);
    room -= take;
  }
  for (const s of out) {
    const take = Math.min(room, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, take);
    room -= take;
  }
  for (const s of out) {
    if (!s.addresses?.length) delete s.addresses;
    if (!s.notReadyAddresses?.length) delete s.notReadyAddresses;
  }
  return { subsets: out.filter((s) => s.addresses || s.notReadyAddresses), truncated: true };
}

/** The Endpoints a service with a selector should have. */
export function desiredEndpoints(service: Service, pods: readonly Pod[]): Endpoints {
  const { subsets, truncated } = truncateSubsets(endpointSubsets(service, pods));
  const annotations: Record<string, string> = {};
  if (truncated) annotations[overCapacityAnnotation] = 'truncated';
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: service.metadata?.name, namespace: service.metadata?.namespace, labels: endpointsLabels(service), ...(truncated ? { annotations } : {}) },
    subsets,
  };
}

/** Whether the stored Endpoints already say what `want` says (ignoring the trigger-time annotation). */
export function endpointsEqual(have: Endpoints, want: Endpoints): boolean {
  const ann = (e: Endpoints) => {
    const { [lastChangeTriggerTimeAnnotation]: _t, ...rest } = e.metadata?.annotations ?? {};
    return rest;
  };
  return jsonEqual(have.subsets ?? [], want.subsets ?? []) && jsonEqual(have.metadata?.labels ?? {}, want.metadata?.labels ?? {}) && jsonEqual(ann(have), ann(want));
}
