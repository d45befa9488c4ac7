/**
 * What the EndpointSlice mirroring controller writes (upstream pkg/controller/endpointslicemirroring,
 * pure): the EndpointSlices of a Service without a selector, copied from the Endpoints its users
 * write, so that the service proxy and the cluster DNS, which read slices, serve such Services
 * too. Ready addresses are ready endpoints, not-ready addresses are not; at most 1,000 addresses
 * of each subset are mirrored, as upstream's default.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import { type DesiredGroup, portSetKey } from '../endpointslice/slice-decisions.js';

export const mirroringControllerName = 'endpointslicemirroring-controller.k8s.io';
export const skipMirrorLabel = 'endpointslice.kubernetes.io/skip-mirror';
export const maxMirroredPerSubset = 1000;

/** Whether the Endpoints of `service` are mirrored: a Service without a selector, Endpoints not marked to skip. */
export function shouldMirror(service: Service | undefined, endpoints: Endpoints | undefined): boolean {
  if (!service || !endpoints || service.metadata?.deletionTimestamp) return false;
  if (Object.keys(service.spec?.selector ?? {}).length > 0) return false;
  return endpoints.metadata?.labels?.[skipMirrorLabel] !== 'true';
}

/** The Endpoints' labels as the slices carry them (the skip marker is not copied). */
export function mirroredLabels(endpoints: Endpoints): Record<string, string> {
  const { [skipMirrorLabel]: _skip, ...rest } = endpoints.metadata?.labels ?? {};
  return rest;
}

/** The slice endpoints of each subset, grouped by port set, for one address family. */
export function mirroredGroups(endpoints: Endpoints, family: 'IPv4' | 'IPv6'): Map<string, DesiredGroup> {
  const groups = new Map<string, DesiredGroup>();
  for (const ss of endpoints.subsets ?? []) {
    const ports: EndpointPort[] = (ss.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    const all = [...(ss.addresses ?? []).map((a) => ({ a, ready: true })), ...(ss.notReadyAddresses ?? []).map((a) => ({ a, ready: false }))].slice(0, maxMirroredPerSubset);
    for (const { a, ready } of all) {
      if ((family === 'IPv6') !== a.ip.includes(':')) continue;
      const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
      if (a.hostname) ep.hostname = a.hostname;
      if (a.nodeName) ep.nodeName = a.nodeName;
      if (a.targetRef) ep.targetRef = { kind: a.targetRef.kind, namespace: a.targetRef.namespace, name: a.targetRef.name, uid: a.targetRef.uid };
      g.endpoints.set(`${a.targetRef?.uid ?? ''}/${a.ip}`, ep);
    }
  }
  return groups;
}
