/**
 * What the cluster DNS answers from: Services, their ready endpoints (from EndpointSlices labelled
 * `kubernetes.io/service-name`) and namespaces, indexed by lower-cased name and by IP. Built by a
 * pure function from cached objects; the server rebuilds it when an informer reports a change.
 */
import type { ApiObject } from '../../api/object.js';

export interface DnsPort {
  /** Lower-cased port name ('' when unnamed). */
  name: string;
  /** Lower-cased protocol: tcp, udp or sctp. */
  protocol: string;
  port: number;
}

export interface DnsService {
  namespace: string;
  name: string;
  /** ClusterIPs (none for headless and ExternalName services). */
  clusterIPs: string[];
  headless: boolean;
  externalName?: string;
  ports: DnsPort[];
}

export interface DnsEndpoint {
  ip: string;
  /** The endpoint's hostname, or its IP with dashes where it has none (as CoreDNS names it). */
  hostname: string;
  /** The ports of the slice the endpoint came from. */
  ports: DnsPort[];
}

export interface ClusterIndex {
  /** By `ns/name`, lower-cased. */
  services: Map<string, DnsService>;
  /** Ready endpoints of each service by `ns/name`, lower-cased, each IP once. */
  endpoints: Map<string, DnsEndpoint[]>;
  /** Lower-cased namespace names that exist. */
  namespaces: Set<string>;
  /** PTR targets (without the trailing dot) by IP. */
  reverse: Map<string, string[]>;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  ports?: { name?: string; protocol?: string; port?: number }[];
}

interface SliceShape {
  addressType?: string;
  endpoints?: { addresses?: string[]; hostname?: string; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; protocol?: string; port?: number }[];
}

export const serviceNameLabel = 'kubernetes.io/service-name';

const key = (ns: string, name: string): string => `${ns}/${name}`.toLowerCase();

/** An IP address with its separators turned into dashes: a DNS label for endpoints and pods. */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

function toPorts(list: ServiceSpec['ports']): DnsPort[] {
  return (list ?? []).filter((p) => typeof p.port === 'number').map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port! }));
}

/** Builds the index from the informers' services, endpointslices and (optionally) namespaces. */
export function buildClusterIndex(services: ApiObject[], slices: ApiObject[], namespaces: ApiObject[] | undefined, zone: string): ClusterIndex {
  const index: ClusterIndex = { services: new Map(), endpoints: new Map(), namespaces: new Set(), reverse: new Map() };
  const addReverse = (ip: string, target: string) => {
    const list = index.reverse.get(ip) ?? [];
    if (!list.includes(target)) list.push(target);
    index.reverse.set(ip, list);
  };
  for (const ns of namespaces ?? []) index.namespaces.add(ns.metadata.name!.toLowerCase());
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as ServiceSpec;
    const namespace = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    if (!namespaces) index.namespaces.add(namespace.toLowerCase());
    const external = spec.type === 'ExternalName';
    const ips = external ? [] : (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip && ip !== 'None');
    const s: DnsService = {
      namespace,
      name,
      clusterIPs: ips,
      headless: !external && spec.clusterIP === 'None',
      externalName: external && spec.externalName ? spec.externalName.replace(/\.$/, '') : undefined,
      ports: toPorts(spec.ports),
    };
    index.services.set(key(namespace, name), s);
    for (const ip of ips) addReverse(ip, `${name}.${namespace}.svc.${zone}`.toLowerCase());
  }
  for (const slice of slices) {
    const svcName = slice.metadata.labels?.[serviceNameLabel];
    const namespace = slice.metadata.namespace!;
    if (!svcName) continue;
    const shape = slice as unknown as SliceShape;
    if (shape.addressType !== 'IPv4' && shape.addressType !== 'IPv6') continue;
    const k = key(namespace, svcName);
    const list = index.endpoints.get(k) ?? [];
    const seen = new Set(list.map((e) => e.ip));
    const ports = toPorts(shape.ports);
    for (const ep of shape.endpoints ?? []) {
      // A nil ready condition means ready (EndpointSlice API); the controller marks the
      // endpoints of a publishNotReadyAddresses service ready.
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        list.push({ ip, hostname: (ep.hostname || dashedIP(ip)).toLowerCase(), ports });
      }
    }
    index.endpoints.set(k, list);
  }
  // Endpoint PTRs exist for headless services only (a ClusterIP service's endpoints are reached through it).
  for (const [k, eps] of index.endpoints) {
    const svc = index.services.get(k);
    if (!svc?.headless) continue;
    for (const ep of eps) addReverse(ep.ip, `${ep.hostname}.${svc.name}.${svc.namespace}.svc.${zone}`.toLowerCase());
  }
  return index;
}
