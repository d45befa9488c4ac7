/**
 * The nftables data plane's rules, as pure functions of the proxy plan (./proxy-rules.ts): which
 * listeners the kernel serves and which stay with the userspace proxy, and the one table that
 * holds them, as data (./nft-table.ts turns it into `nft -f -` transactions). The layout follows kube-proxy's nftables
 * mode (`pkg/proxy/nftables/proxier.go`) in spirit, much reduced: a verdict map from
 * `address . protocol . port` to a per-Service-port chain that DNATs to an endpoint picked with
 * `numgen random`, looked up from a prerouting nat chain (traffic from pods and from outside) and
 * an output nat chain (traffic from the node itself), and a second map that sends new connections
 * to Service ports without usable endpoints to a chain that rejects them. In bridge mode a
 * postrouting chain masquerades pods' connections that the DNAT sends back onto the bridge: only
 * hairpin ones (a pod reaching itself) when br_netfilter makes bridged replies pass conntrack, as
 * kube-proxy does, so backends see the client pod's address; all of them otherwise.
 */
import { createHash } from 'node:crypto';
import { deleteScript, fullScript, type NftTableModel } from './nft-table.js';
import { endpointKey, type ListenerSpec, type ProxyPlan, type ProxyProtocol, usableEndpoints } from './proxy-rules.js';
import { byKey } from '../../util/compare.js';

/** The table the agent owns; nothing else in the ruleset is read or written. */
export const NFT_TABLE = 'capstan-proxy';

/** A listener the kernel serves: a DNAT chain when it has usable endpoints, else a reject. */
export interface NftEntry {
  key: string;
  ip: string;
  port: number;
  protocol: ProxyProtocol;
  kind: ListenerSpec['kind'];
  /** The DNAT chain's name; undefined when the Service port has no usable endpoint (rejected). */
  chain?: string;
  endpoints: { ip: string; port: number }[];
  /**
   * The Service port's serving endpoints (any node, terminating or not), sorted: UDP flows DNATed
   * to an endpoint not in here any more are stale (./stale-udp-flows.ts).
   */
  serving: { ip: string; port: number }[];
}

export interface NftSplit {
  kernel: NftEntry[];
  /** The part of the plan left to the userspace proxy (same rules, fewer listeners). */
  userspace: ProxyPlan;
  /** Service port ids served in userspace, with why (for the log). */
  userspaceWhy: Map<string, string>;
}

export interface NftSplitOptions {
  nodeName: string;
  /**
   * Bridge pod networking: pods' packets reach the node through the bridge, so a DNAT to a
   * loopback address cannot work for them, and a packet from the node to a loopback address
   * cannot be sent to a pod. Service ports with loopback endpoints, and NodePort/LoadBalancer
   * listeners on loopback addresses, stay in userspace there.
   */
  bridge: boolean;
}

const isIPv4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);
const isLoopback = (ip: string) => ip.startsWith('127.');

/** Why a Service port cannot be served by the kernel, or undefined when it can. */
function userspaceReason(plan: ProxyPlan, ruleId: string, o: NftSplitOptions): string | undefined {
  const rule = plan.rules.get(ruleId);
  if (!rule) return 'no rule';
  if (rule.affinitySeconds !== undefined) return 'sessionAffinity ClientIP';
  if (rule.endpoints.some((e) => !isIPv4(e.ip))) return 'IPv6 endpoints';
  if (o.bridge && rule.endpoints.some((e) => isLoopback(e.ip))) return 'endpoints on loopback addresses';
  return undefined;
}

/** Splits a plan between the kernel and the userspace proxy; kernel entries sorted by key. */
export function splitPlan(plan: ProxyPlan, o: NftSplitOptions): NftSplit {
  const kernel: NftEntry[] = [];
  const userspace: ListenerSpec[] = [];
  const userspaceWhy = new Map<string, string>();
  for (const l of plan.listeners) {
    const why = userspaceReason(plan, l.ruleId, o);
    if (why) userspaceWhy.set(l.ruleId, why);
    // A loopback NodePort/LoadBalancer address in bridge mode: the node's packet from 127.0.0.1
    // cannot be DNATed onto the bridge (kube-proxy's nftables mode does not serve those at all).
    if (why || !isIPv4(l.ip) || (o.bridge && l.kind !== 'ClusterIP' && isLoopback(l.ip))) {
      userspace.push(l);
      continue;
    }
    const rule = plan.rules.get(l.ruleId)!;
    const endpoints = usableEndpoints(rule, l.scope, o.nodeName)
      .map((e) => ({ ip: e.ip, port: e.port }))
      .sort(byKey(endpointKey));
    const serving = rule.endpoints
      .filter((e) => e.serving)
      .map((e) => ({ ip: e.ip, port: e.port }))
      .sort(byKey(endpointKey));
    kernel.push({ key: l.key, ip: l.ip, port: l.port, protocol: l.protocol, kind: l.kind, chain: endpoints.length ? chainName(l.ruleId, l.scope) : undefined, endpoints, serving });
  }
  kernel.sort(byKey((e) => e.key));
  return { kernel, userspace: { rules: plan.rules, listeners: userspace, unsupported: plan.unsupported }, userspaceWhy };
}

/**
 * A chain name for one Service port and traffic scope: a short hash (unique) and a readable,
 * bounded tail. Only characters nft accepts in a bare identifier appear.
 */
export function chainName(ruleId: string, scope: 'internal' | 'external'): string {
  const key = `${ruleId}|${scope}`;
  let name = chainNames.get(key);
  if (name === undefined) {
    // Bounded: a long-lived agent sees Services come and go.
    if (chainNames.size >= CHAIN_NAME_CACHE) chainNames.clear();
    chainNames.set(key, (name = computeChainName(ruleId, scope)));
  }
  return name;
}

/** Names already computed (a resync asks again for every Service port, and hashing shows in its profile). */
const chainNames = new Map<string, string>();
const CHAIN_NAME_CACHE = 50_000;

function computeChainName(ruleId: string, scope: 'internal' | 'external'): string {
  const hash = createHash('sha256').update(`${ruleId}|${scope}`).digest('hex').slice(0, 8);
  // ruleId is namespace/name:portName/PROTOCOL; nft identifiers take letters, digits, / - _ .
  const [nsName = '', rest = ''] = ruleId.split(':');
  const [portName = '', proto = ''] = rest.split('/');
  const tail = [nsName, proto.toLowerCase(), portName].filter(Boolean).join('/').replace(/[^A-Za-z0-9/_.-]/g, '_').slice(0, 120);
  return `svc-${hash}-${tail}${scope === 'external' ? '-ext' : ''}`;
}

export interface NftBridge {
  name: string;
  podCidr: string;
  /**
   * Masquerade only hairpin connections (source = the endpoint picked), as kube-proxy does; needs
   * br_netfilter (see bridgeMasquerade). Otherwise every pod connection DNATed back onto the bridge.
   */
  hairpinOnly?: boolean;
}

export interface NftRulesetOptions {
  table?: string;
  /** Bridge mode: masquerade pods' DNATed connections that go back out through this bridge. */
  bridge?: NftBridge;
}

/**
 * Which pod connections the bridge needs masqueraded, from the value of
 * `/proc/sys/net/bridge/bridge-nf-call-iptables` (undefined when the file is absent: br_netfilter
 * is not loaded). With br_netfilter on, a backend's reply to a client pod on the same bridge passes
 * conntrack, which restores the ClusterIP as its source, so only a pod reaching itself (whose reply
 * never leaves its namespace) needs its source rewritten. Without it the reply is bridged straight
 * back with the backend's address, which the client drops: every such connection is masqueraded.
 */
export function bridgeMasquerade(bridgeNfCallIptables: string | undefined): { hairpinOnly: boolean; why: string } {
  const v = bridgeNfCallIptables?.trim();
  if (v === '1') return { hairpinOnly: true, why: 'br_netfilter passes bridged replies through conntrack' };
  const cause = v === undefined ? 'br_netfilter is not loaded' : `net.bridge.bridge-nf-call-iptables is ${v}`;
  return { hairpinOnly: false, why: `${cause}, so replies between pods on the bridge bypass conntrack: pods' connections through a Service are masqueraded and backends see the bridge address` };
}

const proto = (p: ProxyProtocol) => (p === 'UDP' ? 'udp' : 'tcp');

function dnatRule(e: NftEntry): string {
  const eps = e.endpoints;
  const l4 = `meta l4proto ${proto(e.protocol)}`;
  if (eps.length === 1) return `${l4} dnat to ${eps[0]!.ip}:${eps[0]!.port}`;
  const elements = eps.map((ep, i) => `${i} : ${ep.ip} . ${ep.port}`).join(', ');
  return `${l4} dnat to numgen random mod ${eps.length} map { ${elements} }`;
}

const VERDICT_MAP = 'type ipv4_addr . inet_proto . inet_service : verdict';

const baseChain = (name: string, type: 'nat' | 'filter', hook: string, priority: string, rules: string[]) => ({ name, header: `type ${type} hook ${hook} priority ${priority}; policy accept;`, rules });

/**
 * The agent's table for these entries, as data (./nft-table.ts renders it whole or as the change
 * from the table in place): a verdict map from `address . protocol . port` to each Service port's
 * DNAT chain, a second one to the reject chain for ports without endpoints, the nat and filter
 * base chains that look them up, and in bridge mode the postrouting masquerade.
 */
export function nftTable(entries: readonly NftEntry[], o: NftRulesetOptions = {}): NftTableModel {
  const services = new Map<string, string>();
  const rejected = new Map<string, string>();
  const chains = new Map<string, string[]>([['reject-chain', ['meta l4proto tcp reject with tcp reset', 'reject']]]);
  for (const e of entries) {
    const k = `${e.ip} . ${proto(e.protocol)} . ${e.port}`;
    if (e.chain) {
      services.set(k, `goto ${e.chain}`);
      if (!chains.has(e.chain)) chains.set(e.chain, [dnatRule(e)]);
    } else rejected.set(k, 'goto reject-chain');
  }
  const collections: NftTableModel['collections'] = new Map([
    ['service-ips', { kind: 'map', type: VERDICT_MAP, elements: services }],
    ['no-endpoint-services', { kind: 'map', type: VERDICT_MAP, elements: rejected }],
  ]);
  const lookup = 'ip daddr . meta l4proto . th dport vmap @service-ips';
  const rejectLookup = 'ct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services';
  const baseChains = [baseChain('nat-prerouting', 'nat', 'prerouting', 'dstnat', [lookup]), baseChain('nat-output', 'nat', 'output', '-100', [lookup])];
  const b = o.bridge;
  if (b && !b.hairpinOnly) {
    // Without br_netfilter the reply would be bridged straight back: the source must be the node's.
    baseChains.push(baseChain('nat-postrouting', 'nat', 'postrouting', 'srcnat', [`ip saddr ${b.podCidr} oifname "${b.name}" ct status dnat masquerade`]));
  } else if (b) {
    // A pod DNATed to itself answers inside its own namespace unless the source is the node's.
    const ips = [...new Set(entries.flatMap((e) => e.endpoints.map((ep) => ep.ip)))].sort();
    collections.set('hairpin-endpoints', { kind: 'set', type: 'type ipv4_addr . ipv4_addr', elements: new Map(ips.map((ip) => [`${ip} . ${ip}`, ''])) });
    baseChains.push(baseChain('nat-postrouting', 'nat', 'postrouting', 'srcnat', [`ip saddr . ip daddr @hairpin-endpoints oifname "${b.name}" ct status dnat masquerade`]));
  }
  // Before the usual filter chains (priority 0), after conntrack (-200).
  for (const hook of ['input', 'forward', 'output']) baseChains.push(baseChain(`filter-${hook}`, 'filter', hook, '-110', [rejectLookup]));
  return { family: 'ip', name: o.table ?? NFT_TABLE, collections, baseChains, chains };
}

/** The script that replaces the whole table in one transaction (./nft-table.ts fullScript). */
export const nftRuleset = (entries: readonly NftEntry[], o: NftRulesetOptions = {}): string => fullScript(nftTable(entries, o));

/** The script that removes the table (clean shutdown); the add first makes it succeed when absent. */
export const nftDeleteTable = (table = NFT_TABLE): string => deleteScript('ip', table);
