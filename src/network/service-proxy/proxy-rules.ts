/**
 * The service proxy's rules, a pure function of Services, EndpointSlices and this node (the part of
 * kube-proxy's `pkg/proxy/servicechangetracker.go`, `endpointschangetracker.go` and
 * `topology.go` that a userspace proxy needs): one rule per Service port with every endpoint the
 * slices name, the listeners that serve it (ClusterIP, NodePort, LoadBalancer), and the endpoints
 * each kind of traffic may use.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { byKey } from '../../util/compare.js';

export type ProxyProtocol = 'TCP' | 'UDP';

/** One endpoint of a Service port, with its EndpointSlice conditions resolved as upstream reads them. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** A Service port as the proxy serves it; `id` is `namespace/name:portName/protocol`. */
export interface ServicePortRule {
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: ProxyProtocol;
  /** `sessionAffinity: ClientIP` timeout in seconds; undefined when affinity is off. */
  affinitySeconds?: number;
  /** internalTrafficPolicy / externalTrafficPolicy `Local`. */
  internalLocal: boolean;
  externalLocal: boolean;
  /** Every endpoint the slices list for this port, deduplicated by address and port. */
  endpoints: ProxyEndpoint[];
}

/** `ClusterIP` traffic is internal; NodePort and LoadBalancer traffic is external. */
export type TrafficScope = 'internal' | 'external';

export interface ListenerSpec {
  /** `protocol/ip:port`, unique per socket. */
  key: string;
  protocol: ProxyProtocol;
  ip: string;
  port: number;
  ruleId: string;
  scope: TrafficScope;
  kind: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
}

export interface ProxyPlan {
  rules: Map<string, ServicePortRule>;
  listeners: ListenerSpec[];
  /** Service ports the proxy cannot serve (SCTP), as `namespace/name:port/protocol`. */
  unsupported: string[];
}

export interface ProxyNode {
  name: string;
  /** Addresses NodePort and LoadBalancer listeners bind: the Node's InternalIPs and 127.0.0.1. */
  addresses: string[];
}

export const serviceNameLabel = 'kubernetes.io/service-name';
/** Default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const defaultAffinitySeconds = 10_800;

export const endpointKey = (e: { ip: string; port: number }): string => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
export const listenerKey = (protocol: string, ip: string, port: number): string => `${protocol}/${endpointKey({ ip, port })}`;
export const ruleId = (ns: string, name: string, portName: string, protocol: string): string => `${ns}/${name}:${portName}/${protocol}`;

/** The addresses a Service is reached on inside the cluster; none for headless and ExternalName. */
export function clusterIPsOf(svc: Service): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

/** Whether this node's built-in load balancer serves `svc` (k3s's ServiceLB takes those without a class). */
export function servedByServiceLB(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

/** The endpoints of one slice for `portName`/`protocol`, conditions defaulted as the API documents. */
function sliceEndpoints(slice: EndpointSlice, portName: string, protocol: string): ProxyEndpoint[] {
  if (slice.addressType === 'FQDN') return [];
  const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
  if (!port?.port) return [];
  const out: ProxyEndpoint[] = [];
  for (const ep of slice.endpoints ?? []) {
    const ip = ep.addresses?.[0];
    if (!ip) continue;
    // A nil `ready` means ready; a nil `serving` follows `ready`; a nil `terminating` means not.
    const ready = ep.conditions?.ready ?? true;
    out.push({ ip, port: port.port, nodeName: ep.nodeName, ready, serving: ep.conditions?.serving ?? ready, terminating: ep.conditions?.terminating ?? false });
  }
  return out;
}

/** Merges endpoints listed more than once (pods sharing the node's network share an address): the best conditions win. */
function dedupe(eps: ProxyEndpoint[]): ProxyEndpoint[] {
  const byKey = new Map<string, ProxyEndpoint>();
  for (const e of eps) {
    const k = endpointKey(e);
    const had = byKey.get(k);
    if (!had) byKey.set(k, { ...e });
    else {
      had.ready ||= e.ready;
      had.serving ||= e.serving;
      had.terminating &&= e.terminating;
      had.nodeName ??= e.nodeName;
    }
  }
  return [...byKey.values()];
}

/** The rules and listeners for this node. Services are taken in namespace/name order, so the first claims a contested socket. */
export function planProxy(services: readonly Service[], slices: readonly EndpointSlice[], node: ProxyNode): ProxyPlan {
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[serviceNameLabel];
    if (!svc) continue;
    const k = `${s.metadata?.namespace}/${svc}`;
    slicesBySvc.set(k, [...(slicesBySvc.get(k) ?? []), s]);
  }
  const rules = new Map<string, ServicePortRule>();
  const listeners = new Map<string, ListenerSpec>();
  const unsupported: string[] = [];
  const sorted = [...services].sort(byKey((s) => `${s.metadata?.namespace}/${s.metadata?.name}`));
  for (const svc of sorted) {
    const ns = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const clusterIPs = clusterIPsOf(svc);
    if (!clusterIPs.length) continue;
    const affinity = svc.spec?.sessionAffinity === 'ClientIP' ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinitySeconds) : undefined;
    const svcSlices = slicesBySvc.get(`${ns}/${name}`) ?? [];
    for (const p of svc.spec?.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      const portName = p.name ?? '';
      if (protocol !== 'TCP' && protocol !== 'UDP') {
        unsupported.push(`${ns}/${name}:${p.port}/${protocol}`);
        continue;
      }
      const id = ruleId(ns, name, portName, protocol);
      rules.set(id, {
        id,
        namespace: ns,
        name,
        portName,
        protocol,
        affinitySeconds: affinity,
        internalLocal: svc.spec?.internalTrafficPolicy === 'Local',
        externalLocal: svc.spec?.externalTrafficPolicy === 'Local',
        endpoints: dedupe(svcSlices.flatMap((s) => sliceEndpoints(s, portName, protocol))),
      });
      const add = (ip: string, port: number, scope: TrafficScope, kind: ListenerSpec['kind']) => {
        const key = listenerKey(protocol, ip, port);
        if (!listeners.has(key)) listeners.set(key, { key, protocol, ip, port, ruleId: id, scope, kind });
      };
      for (const ip of clusterIPs) add(ip, p.port, 'internal', 'ClusterIP');
      const external = svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
      if (external && p.nodePort) for (const ip of node.addresses) add(ip, p.nodePort, 'external', 'NodePort');
      if (servedByServiceLB(svc)) for (const ip of node.addresses) add(ip, p.port, 'external', 'LoadBalancer');
    }
  }
  return { rules, listeners: [...listeners.values()], unsupported };
}

/**
 * The endpoints that new connections of `scope` may go to (upstream `CategorizeEndpoints`): with a
 * `Local` policy only this node's; of those the ready ones, or when none is ready the ones still
 * serving while terminating. Terminating endpoints take no new connections while any is ready.
 */
export function usableEndpoints(rule: ServicePortRule, scope: TrafficScope, nodeName: string): ProxyEndpoint[] {
  const local = scope === 'internal' ? rule.internalLocal : rule.externalLocal;
  const candidates = local ? rule.endpoints.filter((e) => e.nodeName === nodeName) : rule.endpoints;
  const ready = candidates.filter((e) => e.ready);
  return ready.length ? ready : candidates.filter((e) => e.serving && e.terminating);
}
