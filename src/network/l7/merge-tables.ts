/**
 * Several producers (the Ingress controller, the Gateway API implementation) feed one engine: each
 * owns a part of the table, and the engine serves their merge. Listeners on the same address, port
 * and protocol become one; their virtual hosts are concatenated in part order, hosts with the same
 * name merged (rules of the earlier part first), certificates pooled (the first default wins).
 */
import type { Listener, RouteTable, VirtualHost } from './route-table.js';

export const listenerKey = (l: Pick<Listener, 'address' | 'port' | 'protocol'>): string => `${l.protocol}/${l.address}/${l.port}`;

export function mergeRouteTables(parts: readonly RouteTable[]): RouteTable {
  if (parts.length === 1) return parts[0];
  const byKey = new Map<string, Listener>();
  for (const part of parts)
    for (const l of part.listeners) {
      const key = listenerKey(l);
      const have = byKey.get(key);
      if (!have) {
        byKey.set(key, { ...l, hosts: [...l.hosts], ...(l.tls ? { tls: { ...l.tls, certificates: [...l.tls.certificates] } } : {}) });
        continue;
      }
      for (const vh of l.hosts) {
        const i = have.hosts.findIndex((h) => h.hostname.toLowerCase() === vh.hostname.toLowerCase());
        if (i < 0) have.hosts.push(vh);
        else have.hosts[i] = { hostname: have.hosts[i].hostname, rules: [...have.hosts[i].rules, ...vh.rules] } satisfies VirtualHost;
      }
      if (l.tls) {
        have.tls ??= { certificates: [] };
        have.tls.certificates.push(...l.tls.certificates);
        have.tls.default ??= l.tls.default;
      }
    }
  return { listeners: [...byKey.values()] };
}
