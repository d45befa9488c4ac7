/**
 * HTTPRoutes shadowed by others. When two routes on one listener port and host have the same match
 * (path, method, headers, query parameters), the Gateway API's precedence makes the older one
 * (creationTimestamp, then namespace/name) take every request, and the younger one's rule is never
 * reached. That is the spec's resolution, so both stay Accepted; what is missing is telling the
 * loser. This module finds the losers (pure); compile.ts turns them into a condition on the loser's
 * parent status and the controller into a Warning event, as the Ingress controller does with its
 * `Conflict` event.
 *
 * The condition. The Gateway API has no standard type for a shadowed rule: `Accepted=False` would
 * say the route is not implemented, yet its rules are programmed and take traffic again as soon as
 * the winner goes; `PartiallyInvalid` is defined for rules that are invalid and therefore dropped
 * or falling back, and a shadowed rule is valid and not dropped. So Accepted stays True and the
 * route's parent status gets the implementation-specific, domain-prefixed condition type
 * `capstan.io/Shadowed` (True, reason `RuleMatchConflict`, naming the winning route), present only
 * while a conflict lasts. Conflicts between matches of one route are the route author's own and
 * are not reported.
 */
import type { HTTPRoute, HTTPRouteMatch } from '../../api/strategies/gateway/types.js';
import type { RouteEntry } from './table.js';

export const shadowedConditionType = 'capstan.io/Shadowed';
export const shadowedReason = 'RuleMatchConflict';

/** One match of a route that another route's identical match shadows, on one host. */
export interface Shadowed {
  /** The loser's entry (its route, rule and match). */
  entry: RouteEntry;
  /** The route whose identical match takes the requests. */
  winner: HTTPRoute;
  host: string;
}

const key = (r: HTTPRoute): string => `${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`;

/** A canonical form of a match: equal keys match exactly the same requests. */
export function matchKey(m: HTTPRouteMatch): string {
  const path = `${m.path?.type ?? 'PathPrefix'} ${m.path?.value ?? '/'}`;
  const headers = (m.headers ?? []).map((h) => `${(h.name ?? '').toLowerCase()}\u0000${h.type ?? 'Exact'}\u0000${h.value ?? ''}`).sort();
  const query = (m.queryParams ?? []).map((q) => `${q.name ?? ''}\u0000${q.type ?? 'Exact'}\u0000${q.value ?? ''}`).sort();
  return JSON.stringify([path, m.method ?? '', headers, query]);
}

/**
 * The shadowed entries of one host, given its entries in precedence order (table.ts's
 * comparePrecedence): each entry whose match an earlier entry of another route already has.
 */
export function findShadowed(host: string, ordered: readonly RouteEntry[]): Shadowed[] {
  const first = new Map<string, RouteEntry>();
  const out: Shadowed[] = [];
  for (const e of ordered) {
    const k = matchKey(e.match);
    const winner = first.get(k);
    if (!winner) first.set(k, e);
    else if (key(winner.route) !== key(e.route)) out.push({ entry: e, winner: winner.route, host });
  }
  return out;
}

/** How a match reads in messages: `PathPrefix /api`, plus its method, headers and query parameters. */
export function describeMatch(m: HTTPRouteMatch): string {
  const parts = [`${m.path?.type ?? 'PathPrefix'} ${m.path?.value ?? '/'}`];
  if (m.method) parts.push(`method ${m.method}`);
  if (m.headers?.length) parts.push(`headers ${m.headers.map((h) => `${h.name}=${h.value}`).join(',')}`);
  if (m.queryParams?.length) parts.push(`query ${m.queryParams.map((q) => `${q.name}=${q.value}`).join(',')}`);
  return parts.join(' ');
}

/** The message about one shadowed match, naming the route that serves it. */
export function shadowedMessage(s: Shadowed): string {
  const older = (s.winner.metadata?.creationTimestamp ?? '') !== (s.entry.route.metadata?.creationTimestamp ?? '');
  const by = older ? `the older HTTPRoute ${key(s.winner)}` : `HTTPRoute ${key(s.winner)} (same age, first by namespace/name)`;
  return `rule ${s.entry.ruleIndex} match ${s.entry.matchIndex} (${describeMatch(s.entry.match)}) of host ${s.host} is already served by ${by}`;
}
