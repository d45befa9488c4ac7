/**
 * A pod's /etc/resolv.conf, composed as the kubelet does (pkg/kubelet/network/dns/dns.go): the
 * DNS policy picks the base (the cluster DNS with the cluster search path and `ndots:5`, the
 * host's resolv.conf, or nothing), the pod's dnsConfig is merged in, then the nameserver and
 * search-path limits are applied. Pure: the caller reads the host's file and records the warnings
 * as events on the pod.
 */

export interface ParsedResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface PodDnsInput {
  namespace: string;
  /** spec.dnsPolicy (default ClusterFirst). */
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name?: string; value?: string }[] };
}

export interface PodResolvConfInput {
  pod: PodDnsInput;
  /** The cluster DNS server addresses (the kubelet's --cluster-dns); empty when there is none. */
  clusterDNS: string[];
  /** The cluster domain (the kubelet's --cluster-domain), e.g. cluster.local; '' for none. */
  clusterDomain: string;
  /** The text of the host's resolv.conf; undefined when the kubelet's --resolv-conf is ''. */
  hostResolvConf: string | undefined;
  /** The node's IPs, for the loopback nameserver used when there is no host resolv.conf. */
  nodeIPs?: string[];
}

export interface PodResolvConf extends ParsedResolvConf {
  /** The file's text. */
  text: string;
  /** What the kubelet reports as a DNSConfigForming warning event (limits exceeded, fallbacks). */
  warnings: string[];
}

/** Kubernetes' validation limits (pkg/apis/core/validation). */
export const maxDNSNameservers = 3;
export const maxDNSSearchPaths = 32;
export const maxDNSSearchListChars = 2048;
const maxSearchDomainLength = 253;

const defaultDNSOptions = ['ndots:5'];

function omitDuplicates(list: string[]): string[] {
  return [...new Set(list)];
}

/** Adds options, a later one replacing an earlier one with the same name in place. */
function appendOptions(options: string[], more: string[]): string[] {
  const out = [...options];
  const nameOf = (o: string) => o.split(':')[0];
  for (const o of more) {
    const at = out.findIndex((x) => nameOf(x) === nameOf(o));
    if (at >= 0) out[at] = o;
    else out.push(o);
  }
  return out;
}

/** Parses resolv.conf text: nameservers, the last `search` line (trailing dots and `.` dropped), options. */
export function parseResolvConf(text: string): ParsedResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.split(/\s+/);
    if (fields[0] === 'nameserver' && fields.length >= 2) nameservers.push(fields[1]);
    if (fields[0] === 'search') searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') options = appendOptions(options, fields.slice(1));
  }
  return { nameservers, searches, options };
}

/** The kubelet's DNS type of a pod: cluster, host or none; undefined for an unknown policy. */
export function podDNSType(pod: PodDnsInput): 'cluster' | 'host' | 'none' | undefined {
  switch (pod.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return pod.hostNetwork ? 'host' : 'cluster';
    case 'Default':
      return 'host';
    default:
      return undefined;
  }
}

/** Merges the pod's own options into the base ones: the pod's value wins; valueless options have no colon. */
function mergeDNSOptions(base: string[], podOptions: { name?: string; value?: string }[]): string[] {
  const map = new Map<string, string>();
  for (const o of base) {
    const at = o.indexOf(':');
    if (at >= 0) map.set(o.slice(0, at), o.slice(at + 1));
    else map.set(o, '');
  }
  for (const o of podOptions) map.set(o.name ?? '', o.value ?? '');
  return [...map].map(([n, v]) => (v ? `${n}:${v}` : n));
}

function fitSearches(searches: string[], warnings: string[]): string[] {
  let out = searches;
  let exceeded = false;
  if (out.length > maxDNSSearchPaths) {
    out = out.slice(0, maxDNSSearchPaths);
    exceeded = true;
  }
  // Some resolvers abort on a search domain longer than a DNS name can be.
  const fitting = out.filter((s) => s.length <= maxSearchDomainLength);
  if (fitting.length !== out.length) exceeded = true;
  out = fitting;
  const lineLength = out.join(' ').length;
  if (lineLength > maxDNSSearchListChars) {
    let cut = 0;
    let cutLength = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      cutLength += out[i].length + 1;
      cut++;
      if (lineLength - cutLength <= maxDNSSearchListChars) break;
    }
    out = out.slice(0, out.length - cut);
    exceeded = true;
  }
  if (exceeded) warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}`);
  return out;
}

/** The file text in the container runtime's layout: search, nameservers, options. */
export function formatResolvConf(c: ParsedResolvConf): string {
  let text = '';
  if (c.searches.length) text += `search ${c.searches.join(' ')}\n`;
  for (const ns of c.nameservers) text += `nameserver ${ns}\n`;
  if (c.options.length) text += `options ${c.options.join(' ')}\n`;
  return text;
}

/** Composes the pod's resolv.conf; throws for an unknown dnsPolicy (the kubelet fails the sandbox then). */
export function buildPodResolvConf(input: PodResolvConfInput): PodResolvConf {
  const { pod, clusterDomain } = input;
  const warnings: string[] = [];
  let type = podDNSType(pod);
  if (!type) throw new Error(`invalid DNSPolicy=${pod.dnsPolicy}`);
  const host: ParsedResolvConf = input.hostResolvConf === undefined ? { nameservers: [], searches: [], options: [] } : parseResolvConf(input.hostResolvConf);
  let cfg: ParsedResolvConf = { ...host };
  if (type === 'cluster' && input.clusterDNS.length === 0) {
    warnings.push(`kubelet does not have ClusterDNS IP configured and cannot create Pod using "${pod.dnsPolicy ?? 'ClusterFirst'}" policy. Falling back to "Default" policy.`);
    type = 'host';
  }
  if (type === 'none') cfg = { nameservers: [], searches: [], options: [] };
  else if (type === 'cluster') {
    const searches = clusterDomain ? omitDuplicates([`${pod.namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...host.searches]) : host.searches;
    cfg = { nameservers: [...input.clusterDNS], searches, options: [...defaultDNSOptions] };
  } else if (input.hostResolvConf === undefined) {
    // No host file: the node's own resolver, as the resolver library assumes without nameservers.
    const ns = (input.nodeIPs ?? []).map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
    cfg = { nameservers: ns.length ? ns : ['127.0.0.1'], searches: ['.'], options: [] };
  }
  if (pod.dnsConfig) {
    cfg = {
      nameservers: omitDuplicates([...cfg.nameservers, ...(pod.dnsConfig.nameservers ?? [])]),
      searches: omitDuplicates([...cfg.searches, ...(pod.dnsConfig.searches ?? [])]),
      options: mergeDNSOptions(cfg.options, pod.dnsConfig.options ?? []),
    };
  }
  if (cfg.nameservers.length > maxDNSNameservers) {
    cfg.nameservers = cfg.nameservers.slice(0, maxDNSNameservers);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.nameservers.join(' ')}`);
  }
  cfg.searches = fitSearches(cfg.searches, warnings);
  return { ...cfg, text: formatResolvConf(cfg), warnings };
}
