/**
 * networking.k8s.io/v1 and discovery.k8s.io/v1 printers: Ingress, IngressClass, NetworkPolicy,
 * EndpointSlice. Follows pkg/printers/internalversion/printers.go (v1.32).
 */
import type { Ingress, IngressClass, IngressRule, NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ageColumn, column, formatLabelSelector, listWithMoreString, nameColumn } from './format.js';
import { translateTimestampSince } from './duration.js';
import { loadBalancerIngressString } from './node-service-printers.js';
import type { Printer } from './printer.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date): string => translateTimestampSince(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';

/** formatHosts: up to three rule hosts, then ` + N more...` (N counts all rules past three); `*` when none. */
function formatHosts(rules: readonly IngressRule[] | undefined): string {
  const rs = rules ?? [];
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rs) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rs.length - max} more...` : ret;
}

export const ingressPrinter: Printer<Ingress> = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells: (ing, now) => [
    name(ing),
    ing.spec?.ingressClassName ?? '<none>',
    formatHosts(ing.spec?.rules),
    loadBalancerIngressString(ing.status?.loadBalancer?.ingress),
    (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
    age(ing, now),
  ],
};

export const ingressClassPrinter: Printer<IngressClass> = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(ic, now) {
    const p = ic.spec?.parameters;
    let parameters = '<none>';
    if (p) parameters = `${p.kind}${p.apiGroup !== undefined && p.apiGroup !== null ? `.${p.apiGroup}` : ''}/${p.name}`;
    return [name(ic), ic.spec?.controller ?? '', parameters, age(ic, now)];
  },
};

export const networkPolicyPrinter: Printer<NetworkPolicy> = {
  columns: [nameColumn(), column('Pod-Selector', 'string', 'networking.NetworkPolicySpec.podSelector'), ageColumn()],
  cells: (np, now) => [name(np), formatLabelSelector(np.spec?.podSelector ?? {}), age(np, now)],
};

function formatDiscoveryPorts(ports: EndpointSlice['ports']): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const port of ports ?? []) {
    if (list.length < max) {
      list.push(port.port !== undefined && port.port !== null ? String(port.port) : (port.name ?? '*'));
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMoreString(list, more, count, max);
}

function formatDiscoveryEndpoints(endpoints: EndpointSlice['endpoints']): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ep of endpoints ?? []) {
    for (const address of ep.addresses ?? []) {
      if (list.length < max) list.push(address);
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMoreString(list, more, count, max);
}

export const endpointSlicePrinter: Printer<EndpointSlice> = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', 'discovery.EndpointSlice.addressType'),
    column('Ports', 'string', 'discovery.EndpointSlice.ports'),
    column('Endpoints', 'string', 'discovery.EndpointSlice.endpoints'),
    ageColumn(),
  ],
  cells: (es, now) => [name(es), es.addressType ?? '', formatDiscoveryPorts(es.ports), formatDiscoveryEndpoints(es.endpoints), age(es, now)],
};
