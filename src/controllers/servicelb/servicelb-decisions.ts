/**
 * What the built-in load balancer (k3s's ServiceLB) publishes for a Service: every LoadBalancer
 * Service without a `loadBalancerClass` is served by the service proxy of every node on the node's
 * addresses, so its `status.loadBalancer.ingress` lists the InternalIPs of the Ready nodes
 * (`ipMode: VIP`, the proxy takes the traffic). Pure functions of cached objects.
 */
import type { LoadBalancerIngress, Node, Service } from 'kubernetes-types/core/v1.js';

/** Whether ServiceLB owns `svc`'s load balancer status. */
export function managedByServiceLB(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass && !svc.metadata?.deletionTimestamp;
}

/**
 * Whether `svc` still shows a load balancer it no longer asks for (its type changed away from
 * LoadBalancer): the status is emptied, as upstream's service controller does on clean-up.
 */
export function needsCleanup(svc: Service): boolean {
  return svc.spec?.type !== 'LoadBalancer' && !svc.spec?.loadBalancerClass && !!svc.status?.loadBalancer?.ingress?.length;
}

const isReady = (n: Node) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The ingress points for a managed Service: one per InternalIP of a Ready node, sorted, IPv6 ones only for IPv6 Services. */
export function desiredIngress(svc: Service, nodes: readonly Node[]): LoadBalancerIngress[] {
  const v6 = svc.spec?.ipFamilies?.[0] === 'IPv6';
  const ips = new Set<string>();
  for (const n of nodes) {
    if (!isReady(n) || n.metadata?.deletionTimestamp) continue;
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && a.address.includes(':') === v6) ips.add(a.address);
  }
  return [...ips].sort().map((ip) => ({ ip, ipMode: 'VIP' }) as LoadBalancerIngress);
}

/** The Service with `ingress` as its load balancer status, or undefined when it already has exactly that. */
export function statusUpdate(svc: Service, ingress: LoadBalancerIngress[]): Service | undefined {
  const current = svc.status?.loadBalancer?.ingress ?? [];
  const same = current.length === ingress.length && current.every((c, i) => c.ip === ingress[i]!.ip && (c.ipMode ?? 'VIP') === ingress[i]!.ipMode && !c.hostname && !c.ports?.length);
  if (same) return undefined;
  return { ...svc, status: { ...svc.status, loadBalancer: ingress.length ? { ingress } : {} } };
}
