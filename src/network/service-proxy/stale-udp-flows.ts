/**
 * UDP flows that outlived their endpoint (nftables mode). The kernel DNATs only a flow's first
 * packet; later ones follow its conntrack entry, so a long-lived UDP flow (a client that keeps
 * its source port, such as a DNS resolver) keeps going to an endpoint that left the Service until
 * the entry times out. As kube-proxy does (`pkg/proxy/conntrack/cleanup.go`), the entries of a UDP
 * Service address whose DNAT target stopped serving are deleted, so the next packet picks anew.
 * Here that is a diff between the table loaded before and the one loaded now, done after the new
 * one is in place; flows to endpoints that are terminating but still serving are kept. Endpoints
 * are told apart by address and port (pods of a host-network node share the node's address).
 */
import type { NftEntry } from './nft-ruleset.js';
import { endpointKey } from './proxy-rules.js';
import { byKey } from '../../util/compare.js';

/** The conntrack entries of `ip:port` (UDP, original direction) DNATed to `endpoint`. */
export interface StaleUdpFlow {
  kind: NftEntry['kind'];
  ip: string;
  port: number;
  endpoint: { ip: string; port: number };
}

const flowKey = (f: StaleUdpFlow) => `${endpointKey(f)} ${endpointKey(f.endpoint)}`;

/**
 * The flows to delete when the table goes from `prev` to `next`: for each UDP Service address of
 * `prev`, the serving endpoints it had that `next` no longer lists for that address (all of them
 * when the address left the kernel's table: Service deleted, or now served in userspace).
 * Sorted, without duplicates.
 */
export function staleUdpFlows(prev: readonly NftEntry[], next: readonly NftEntry[]): StaleUdpFlow[] {
  const now = new Map(next.filter((e) => e.protocol === 'UDP').map((e) => [e.key, new Set(e.serving.map(endpointKey))]));
  const out = new Map<string, StaleUdpFlow>();
  for (const e of prev) {
    if (e.protocol !== 'UDP') continue;
    const keep = now.get(e.key);
    for (const ep of e.serving) {
      if (keep?.has(endpointKey(ep))) continue;
      const f = { kind: e.kind, ip: e.ip, port: e.port, endpoint: { ip: ep.ip, port: ep.port } };
      out.set(flowKey(f), f);
    }
  }
  return [...out.values()].sort(byKey(flowKey));
}

/** The `conntrack` arguments that delete one stale flow's entries (the reply comes from the endpoint). */
export function conntrackDeleteArgs(f: StaleUdpFlow): string[] {
  return ['-D', '-p', 'udp', '--orig-dst', f.ip, '--orig-port-dst', String(f.port), '--reply-src', f.endpoint.ip, '--reply-port-src', String(f.endpoint.port)];
}
