/**
 * The DNS settings of a pod's sandbox (the kubelet's dns.Configurer): the pod's resolv.conf as
 * the cluster DNS, the cluster domain and the node's resolv.conf make it (buildPodResolvConf),
 * in the CRI's DNSConfig shape, with the warnings the kubelet posts as `DNSConfigForming` events.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { buildPodResolvConf } from '../../network/dns/resolv-conf.js';

export const dnsConfigFormingReason = 'DNSConfigForming';

export interface NodeDns {
  /** The cluster DNS addresses (kube-dns's ClusterIP); empty without cluster DNS. */
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's resolv.conf text; undefined when there is none. */
  hostResolvConf: string | undefined;
  nodeIPs: string[];
}

export function podDnsConfig(pod: Pod, node: NodeDns): { config: { servers: string[]; searches: string[]; options: string[] }; warnings: string[] } {
  const spec = pod.spec ?? { containers: [] };
  const r = buildPodResolvConf({
    pod: { namespace: pod.metadata?.namespace ?? 'default', dnsPolicy: spec.dnsPolicy, hostNetwork: spec.hostNetwork, dnsConfig: spec.dnsConfig },
    clusterDNS: node.clusterDNS,
    clusterDomain: node.clusterDomain,
    hostResolvConf: node.hostResolvConf,
    nodeIPs: node.nodeIPs,
  });
  return { config: { servers: r.nameservers, searches: r.searches, options: r.options }, warnings: r.warnings };
}
