/**
 * The records of the cluster zone (the Kubernetes DNS-based service discovery specification, as
 * CoreDNS's kubernetes plugin serves it with `pods insecure`): a pure function from the cluster
 * index and one question to an answer, or to "forward" for names outside the cluster's zones.
 *
 * NXDOMAIN means the name exists under no type; NODATA (NOERROR, no answers) means the name exists
 * but has no record of the asked type. Both carry the zone's SOA in the authority section.
 */
import type { ClusterIndex, DnsEndpoint, DnsPort, DnsService } from './cluster-index.js';
import { Rcode, RRClass, RRType, type Question, type ResourceRecord } from './message.js';

/** The schema version `dns-version.<zone>` reports (CoreDNS's). */
export const dnsSchemaVersion = '1.1.0';

export interface ZoneConfig {
  /** The cluster domain, lower-case, no trailing dot (e.g. cluster.local). */
  zone: string;
  /** TTL of every record, and the SOA's negative-caching TTL (seconds). */
  ttl: number;
  /** SOA serial. */
  serial: number;
  /** Addresses of the DNS server itself (`ns.dns.<zone>`). */
  dnsIPs: string[];
}

export interface Answer {
  kind: 'answer';
  rcode: number;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /** An ExternalName target whose address records the server should add (CNAME chasing). */
  chase?: string;
}

export type Resolution = Answer | { kind: 'forward' };

const isIPv6 = (ip: string): boolean => ip.includes(':');

/** The IP a reverse name (`d.c.b.a.in-addr.arpa`, nibble `ip6.arpa`) stands for, if it is complete. */
export function reverseNameToIP(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.map(Number).reverse().join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups = hex.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
    return canonicalIPv6(groups.join(':'));
  }
  return undefined;
}

/** RFC 5952 text of an uncompressed eight-group IPv6 address. */
function canonicalIPv6(full: string): string {
  const groups = full.split(':');
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  return best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The IP of a `pods insecure` label: `1-2-3-4` (IPv4) or the dashed form of an IPv6 address. */
function podLabelToIP(label: string): string | undefined {
  const v4 = label.split('-');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return v4.map(Number).join('.');
  if (label.includes('--') || label.split('-').length === 8) {
    const ip = label.replace(/-/g, ':');
    const parts = ip.split('::');
    if (parts.length > 2) return undefined;
    const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')));
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g)) || groups.length > (parts.length === 2 ? 7 : 8) || (parts.length === 1 && groups.length !== 8)) return undefined;
    return ip;
  }
  return undefined;
}

export function soaRecord(cfg: ZoneConfig): ResourceRecord {
  return {
    name: cfg.zone,
    type: RRType.SOA,
    class: RRClass.IN,
    ttl: cfg.ttl,
    data: { mname: `ns.dns.${cfg.zone}`, rname: `hostmaster.${cfg.zone}`, serial: cfg.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: cfg.ttl },
  };
}

function negative(cfg: ZoneConfig, rcode: number): Answer {
  return { kind: 'answer', rcode, answers: [], authorities: [soaRecord(cfg)], additionals: [] };
}

const addressType = (ip: string): number => (isIPv6(ip) ? RRType.AAAA : RRType.A);

/** Address records of `name` for the asked type; NODATA when the name has addresses of another family only. */
function addresses(cfg: ZoneConfig, name: string, qtype: number, ips: string[]): Answer {
  const rr = (ip: string): ResourceRecord => ({ name, type: addressType(ip), class: RRClass.IN, ttl: cfg.ttl, data: ip });
  const wanted = qtype === RRType.ANY ? ips : ips.filter((ip) => addressType(ip) === qtype);
  if (!wanted.length) return negative(cfg, Rcode.NOERROR);
  return { kind: 'answer', rcode: Rcode.NOERROR, answers: wanted.map(rr), authorities: [], additionals: [] };
}

/** SRV records over (target, address, port) triples; the weights share 100 as CoreDNS divides them. */
function srv(cfg: ZoneConfig, name: string, targets: { target: string; ip?: string; port: number }[]): Answer {
  if (!targets.length) return negative(cfg, Rcode.NOERROR);
  const weight = Math.floor(100 / targets.length);
  const answers = targets.map((t) => ({ name, type: RRType.SRV, class: RRClass.IN, ttl: cfg.ttl, data: { priority: 0, weight, port: t.port, target: t.target } }));
  const extra = new Map<string, ResourceRecord>();
  for (const t of targets) if (t.ip) extra.set(`${t.target}/${t.ip}`, { name: t.target, type: addressType(t.ip), class: RRClass.IN, ttl: cfg.ttl, data: t.ip });
  return { kind: 'answer', rcode: Rcode.NOERROR, answers, authorities: [], additionals: [...extra.values()] };
}

function serviceName(cfg: ZoneConfig, svc: DnsService): string {
  return `${svc.name}.${svc.namespace}.svc.${cfg.zone}`.toLowerCase();
}

/** The answer for `<svc>.<ns>.svc.<zone>`. */
function serviceRecords(index: ClusterIndex, cfg: ZoneConfig, q: Question, svc: DnsService): Answer {
  const eps = index.endpoints.get(`${svc.namespace}/${svc.name}`.toLowerCase()) ?? [];
  if (svc.externalName !== undefined) {
    const cname: ResourceRecord = { name: q.name, type: RRType.CNAME, class: RRClass.IN, ttl: cfg.ttl, data: svc.externalName };
    const chase = q.type === RRType.A || q.type === RRType.AAAA ? svc.externalName : undefined;
    return { kind: 'answer', rcode: Rcode.NOERROR, answers: [cname], authorities: [], additionals: [], chase };
  }
  if (svc.headless) {
    // No ready endpoints: the name does not exist (specification §2.4.1).
    if (!eps.length) return negative(cfg, Rcode.NXDOMAIN);
    if (q.type === RRType.SRV) return srv(cfg, q.name, eps.flatMap((ep) => ep.ports.map((p) => ({ target: `${ep.hostname}.${serviceName(cfg, svc)}`, ip: ep.ip, port: p.port }))));
    return addresses(cfg, q.name, q.type, eps.map((e) => e.ip));
  }
  if (q.type === RRType.SRV) return srv(cfg, q.name, svc.ports.map((p) => ({ target: serviceName(cfg, svc), ip: svc.clusterIPs[0], port: p.port })));
  return addresses(cfg, q.name, q.type, svc.clusterIPs);
}

/** The answer for `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: named ports only. */
function portRecords(index: ClusterIndex, cfg: ZoneConfig, q: Question, svc: DnsService, port: string, proto: string): Answer {
  const match = (p: DnsPort) => p.name !== '' && p.name === port && p.protocol === proto;
  let targets: { target: string; ip?: string; port: number }[];
  if (svc.headless) {
    const eps: DnsEndpoint[] = index.endpoints.get(`${svc.namespace}/${svc.name}`.toLowerCase()) ?? [];
    targets = eps.flatMap((ep) => ep.ports.filter(match).map((p) => ({ target: `${ep.hostname}.${serviceName(cfg, svc)}`, ip: ep.ip, port: p.port })));
  } else if (svc.externalName === undefined) {
    targets = svc.ports.filter(match).map((p) => ({ target: serviceName(cfg, svc), ip: svc.clusterIPs[0], port: p.port }));
  } else targets = [];
  if (!targets.length) return negative(cfg, Rcode.NXDOMAIN);
  if (q.type !== RRType.SRV && q.type !== RRType.ANY) return negative(cfg, Rcode.NOERROR);
  return srv(cfg, q.name, targets);
}

function svcZone(index: ClusterIndex, cfg: ZoneConfig, q: Question, labels: string[]): Answer {
  // labels end with 'svc'
  if (labels.length === 1) return negative(cfg, Rcode.NOERROR);
  const ns = labels[labels.length - 2];
  if (labels.length === 2) return negative(cfg, index.namespaces.has(ns) ? Rcode.NOERROR : Rcode.NXDOMAIN);
  const svc = index.services.get(`${ns}/${labels[labels.length - 3]}`);
  if (!svc) return negative(cfg, Rcode.NXDOMAIN);
  if (labels.length === 3) return serviceRecords(index, cfg, q, svc);
  if (labels.length === 4) {
    const host = labels[0];
    if (host.startsWith('_')) {
      // `_<proto>.<svc>...` is an empty non-terminal when some named port uses that protocol.
      const proto = host.slice(1);
      const has = svc.ports.some((p) => p.name !== '' && p.protocol === proto);
      return negative(cfg, has ? Rcode.NOERROR : Rcode.NXDOMAIN);
    }
    if (!svc.headless) return negative(cfg, Rcode.NXDOMAIN);
    const eps = (index.endpoints.get(`${svc.namespace}/${svc.name}`.toLowerCase()) ?? []).filter((e) => e.hostname === host);
    if (!eps.length) return negative(cfg, Rcode.NXDOMAIN);
    return addresses(cfg, q.name, q.type, eps.map((e) => e.ip));
  }
  if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) return portRecords(index, cfg, q, svc, labels[0].slice(1), labels[1].slice(1));
  return negative(cfg, Rcode.NXDOMAIN);
}

function podZone(cfg: ZoneConfig, q: Question, labels: string[]): Answer {
  // labels end with 'pod': `<ip-with-dashes>.<ns>.pod`; shorter names are empty non-terminals.
  if (labels.length < 3) return negative(cfg, Rcode.NOERROR);
  if (labels.length > 3) return negative(cfg, Rcode.NXDOMAIN);
  const ip = podLabelToIP(labels[0]);
  if (!ip) return negative(cfg, Rcode.NXDOMAIN);
  return addresses(cfg, q.name, q.type, [ip]);
}

/** Answers one question from the index, or says to forward it. */
export function resolveQuestion(index: ClusterIndex, cfg: ZoneConfig, q: Question): Resolution {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (q.class !== RRClass.IN && q.class !== 255) return { kind: 'forward' };
  if (name === cfg.zone || name.endsWith(`.${cfg.zone}`)) {
    const labels = name === cfg.zone ? [] : name.slice(0, -(cfg.zone.length + 1)).split('.');
    const last = labels[labels.length - 1];
    if (labels.length === 0) {
      if (q.type === RRType.SOA) return { kind: 'answer', rcode: Rcode.NOERROR, answers: [{ ...soaRecord(cfg), name: q.name }], authorities: [], additionals: [] };
      if (q.type === RRType.NS) {
        const ns = `ns.dns.${cfg.zone}`;
        const additionals = cfg.dnsIPs.map((ip) => ({ name: ns, type: addressType(ip), class: RRClass.IN, ttl: cfg.ttl, data: ip }));
        return { kind: 'answer', rcode: Rcode.NOERROR, answers: [{ name: q.name, type: RRType.NS, class: RRClass.IN, ttl: cfg.ttl, data: ns }], authorities: [], additionals };
      }
      return negative(cfg, Rcode.NOERROR);
    }
    if (labels.length === 1 && last === 'dns-version') {
      if (q.type !== RRType.TXT) return negative(cfg, Rcode.NOERROR);
      return { kind: 'answer', rcode: Rcode.NOERROR, answers: [{ name: q.name, type: RRType.TXT, class: RRClass.IN, ttl: cfg.ttl, data: [dnsSchemaVersion] }], authorities: [], additionals: [] };
    }
    if (last === 'dns' && labels.length <= 2) {
      if (labels.length === 1) return negative(cfg, Rcode.NOERROR);
      if (labels[0] !== 'ns') return negative(cfg, Rcode.NXDOMAIN);
      return addresses(cfg, q.name, q.type, cfg.dnsIPs);
    }
    if (last === 'svc') return svcZone(index, cfg, { ...q }, labels);
    if (last === 'pod') return podZone(cfg, q, labels);
    return negative(cfg, Rcode.NXDOMAIN);
  }
  if (q.type === RRType.PTR) {
    const ip = reverseNameToIP(name);
    const targets = ip ? index.reverse.get(ip) : undefined;
    if (targets?.length) {
      return { kind: 'answer', rcode: Rcode.NOERROR, answers: targets.map((t) => ({ name: q.name, type: RRType.PTR, class: RRClass.IN, ttl: cfg.ttl, data: t })), authorities: [], additionals: [] };
    }
  }
  // Reverse names of addresses outside the cluster fall through to the upstream resolvers, as
  // CoreDNS's default `fallthrough in-addr.arpa ip6.arpa` does.
  return { kind: 'forward' };
}
