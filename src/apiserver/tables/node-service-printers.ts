/**
 * Nodes, Services and Endpoints, following printNode, printService and printEndpoints in
 * pkg/printers/internalversion/printers.go (v1.32). Rows are printed wide, as the server does.
 */
import type { Endpoints, Node, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, formatLabels, joinHostPort, nameColumn, wide } from './format.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

const labelNodeRolePrefix = 'node-role.kubernetes.io/';
const nodeLabelRole = 'kubernetes.io/role';

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted, unique. */
export function findNodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role) roles.add(role);
    } else if (k === nodeLabelRole && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer<Node> = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', 'core.NodeSystemInfo.kubeletVersion'),
    column('Internal-IP', 'string', 'core.NodeStatus.addresses', { priority: wide }),
    column('External-IP', 'string', 'core.NodeStatus.addresses', { priority: wide }),
    column('OS-Image', 'string', 'core.NodeSystemInfo.osImage', { priority: wide }),
    column('Kernel-Version', 'string', 'core.NodeSystemInfo.kernelVersion', { priority: wide }),
    column('Container-Runtime', 'string', 'core.NodeSystemInfo.containerRuntimeVersion', { priority: wide }),
  ],
  cells(node, now) {
    // Only the Ready condition makes up STATUS.
    const status: string[] = [];
    const ready = node.status?.conditions?.filter((c) => c.type === 'Ready').pop();
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = findNodeRoles(node.metadata?.labels).join(',') || '<none>';
    const info = node.status?.nodeInfo;
    return [
      node.metadata?.name ?? '',
      status.join(','),
      roles,
      translateTimestampSince(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

/** loadBalancerStatusStringer (wide: never clipped): ingress IPs, else hostnames, sorted and unique. */
export function loadBalancerIngressString(ingress: readonly { ip?: string; hostname?: string }[] | undefined): string {
  const result = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) result.add(i.ip);
    else if (i.hostname) result.add(i.hostname);
  }
  return [...result].sort().join(',');
}

/** getServiceExternalIP. */
function serviceExternalIP(svc: Service, type: string): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIps = loadBalancerIngressString(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lbIps ? lbIps.split(',') : []), ...externalIPs].join(',');
      return lbIps || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
  }
  return '<unknown>';
}

/** makePortString: `80/TCP`, or `443:30443/TCP` with a node port. */
export function makePortString(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const protocol = p.protocol ?? 'TCP';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: Printer<Service> = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'core.ServiceSpec.type'),
    column('Cluster-IP', 'string', 'core.ServiceSpec.clusterIP'),
    column('External-IP', 'string', 'core.ServiceSpec.externalIPs'),
    column('Port(s)', 'string', 'core.ServiceSpec.ports'),
    ageColumn(),
    column('Selector', 'string', 'core.ServiceSpec.selector', { priority: wide }),
  ],
  cells(svc, now) {
    // spec.type defaults to ClusterIP; clusterIPs mirrors clusterIP once defaulted.
    const type = svc.spec?.type ?? 'ClusterIP';
    const internalIP = svc.spec?.clusterIPs?.[0] ?? (svc.spec?.clusterIP || '<none>');
    return [
      svc.metadata?.name ?? '',
      type,
      internalIP,
      serviceExternalIP(svc, type),
      makePortString(svc.spec?.ports) || '<none>',
      translateTimestampSince(svc.metadata?.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

/** formatEndpoints with all ports: up to three `ip:port` entries, then ` + N more...`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      // Headless services may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: Printer<Endpoints> = {
  columns: [nameColumn(), column('Endpoints', 'string', 'core.Endpoints.subsets'), ageColumn()],
  cells: (ep, now) => [ep.metadata?.name ?? '', formatEndpoints(ep), translateTimestampSince(ep.metadata?.creationTimestamp, now)],
};
