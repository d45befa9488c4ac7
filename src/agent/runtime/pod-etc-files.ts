/**
 * What a pod's /etc/hosts and /etc/resolv.conf hold, as pure functions of its sandbox. The hosts
 * file is the kubelet's (pkg/kubelet/kubelet_pods.go: managedHostsFileContent for a pod with a
 * network of its own, nodeHostsFileContent for a host-network pod, hostsEntriesFromHostAliases for
 * both); resolv.conf is the sandbox's DNS config, as a CRI runtime writes it. The sandbox runtime
 * bind-mounts these files into its containers; the process runtime puts them where `ip netns exec`
 * mounts them over the host's.
 */
import type { SandboxRecord } from './process/state-store.js';

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface HostsFileInput {
  /** The pod shares the node's network: it gets the node's file (with a header and its aliases). */
  hostNetwork: boolean;
  /** The node's /etc/hosts; read only for a host-network pod. */
  nodeHosts: string;
  hostname: string;
  /** `<subdomain>.<namespace>.svc.<cluster domain>` for a pod with spec.subdomain: its IPs then name the FQDN first. */
  hostDomain?: string;
  podIPs?: string[];
  /** spec.hostAliases, in order. */
  hostAliases?: HostAlias[];
}

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const HOST_NETWORK_HEADER = '# Kubernetes-managed hosts file (host network).\n';

/** The localhost and IPv6 lines every managed file starts with (the same as Docker's defaults). */
const BOILERPLATE = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'fe00::0\tip6-mcastprefix', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters'];

/** The HostAliases section: a blank line, a marker, then one line per alias with all its names. */
export function hostAliasEntries(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${a.hostnames.join('\t')}\n`).join('')}`;
}

/** The pod's /etc/hosts. */
export function hostsFile(i: HostsFileInput): string {
  if (i.hostNetwork) return HOST_NETWORK_HEADER + i.nodeHosts + hostAliasEntries(i.hostAliases);
  const own = (i.podIPs ?? []).map((ip) => (i.hostDomain ? `${ip}\t${i.hostname}.${i.hostDomain}\t${i.hostname}` : `${ip}\t${i.hostname}`));
  return MANAGED_HEADER + [...BOILERPLATE, ...own].map((l) => `${l}\n`).join('') + hostAliasEntries(i.hostAliases);
}

/** The hosts file of sandbox `rec`; one without a network namespace of its own (host mode too) shares the node's. */
export function sandboxHostsFile(rec: SandboxRecord, nodeHosts: string): string {
  const c = rec.config;
  return hostsFile({ hostNetwork: c.hostNetwork || !rec.network, nodeHosts, hostname: c.hostname, hostDomain: c.hostDomain, podIPs: rec.network?.ips, hostAliases: c.hostAliases });
}

/** The pod's /etc/resolv.conf: from the sandbox's DNS config when it has one, else the node's. */
export function resolvConf(dns: { servers: string[]; searches: string[]; options: string[] } | undefined, hostResolvConf: string): string {
  if (!dns || (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0)) return hostResolvConf;
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
