/**
 * The Gateway API implementation as one pure function: from GatewayClasses, Gateways, HTTPRoutes,
 * Services, Secrets and Namespaces to the statuses to write and the RouteTable listeners to serve.
 * Only classes whose controllerName is ours are handled; route status entries of other
 * controllers are kept as they are.
 */
import type { Namespace, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Gateway, HTTPRoute, RouteParentStatus } from '../../api/strategies/gateway/types.js';
import { gatewayApiGroup } from '../../api/strategies/gateway/types.js';
import { condition } from './conditions.js';
import { shadowedConditionType, shadowedMessage, shadowedReason } from './conflicts.js';
import { evaluateGateway } from './listeners.js';
import { type EvaluatedListener, type GatewayInput, type GatewayOutput, objKey } from './model.js';
import { attachParent, firstRefProblem, sameParent } from './routes.js';
import { buildListeners, type ListenerRoutes, ruleEntries } from './table.js';

const byKey = <T extends { metadata?: { namespace?: string; name?: string } }>(items: readonly T[]): Map<string, T> => new Map(items.map((o) => [objKey(o), o]));
const olderFirst = (a: { metadata?: { creationTimestamp?: string; namespace?: string; name?: string } }, b: typeof a): number =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || objKey(a).localeCompare(objKey(b));

export function compileGateways(input: GatewayInput): GatewayOutput {
  const out: GatewayOutput = { gatewayClasses: [], gateways: [], httpRoutes: [], listeners: [], routeProblems: [] };
  const ourClasses = new Set<string>();
  for (const gc of input.gatewayClasses) {
    if (gc.spec?.controllerName !== input.controllerName || gc.metadata?.deletionTimestamp) continue;
    const name = gc.metadata?.name ?? '';
    ourClasses.add(name);
    const ctx = { generation: gc.metadata?.generation, old: gc.status?.conditions, now: input.now };
    out.gatewayClasses.push({ name, status: { ...gc.status, conditions: [condition(ctx, 'Accepted', true, 'Accepted', 'GatewayClass is accepted')] } });
  }
  const services = byKey<Service>(input.services);
  const secrets = byKey<Secret>(input.secrets);
  const grants = input.referenceGrants ?? [];
  const index = { services, grants };
  const namespaces = new Map<string, Namespace>(input.namespaces.map((n) => [n.metadata?.name ?? '', n]));

  // Gateways of our classes, oldest first: an older Gateway keeps a port a newer one also asks for.
  const ours = input.gateways.filter((g) => ourClasses.has(g.spec?.gatewayClassName ?? '') && !g.metadata?.deletionTimestamp).sort(olderFirst);
  const takenPorts = new Set<number>();
  const evaluated = new Map<string, { gateway: Gateway; status: ReturnType<typeof evaluateGateway>['status']; listeners: EvaluatedListener[] }>();
  for (const gw of ours) {
    const v = evaluateGateway(gw, takenPorts, input.statusAddress, secrets, grants, input.now);
    evaluated.set(objKey(gw), { gateway: gw, ...v });
  }

  const routesOf = new Map<EvaluatedListener, ListenerRoutes>();
  /** The parent status of a route through which it attached to a listener (`route|gateway/listener`). */
  const attachedThrough = new Map<string, { route: HTTPRoute; parent: RouteParentStatus }>();
  for (const e of evaluated.values()) for (const l of e.listeners) routesOf.set(l, { listener: l, hosts: new Map() });

  for (const route of input.httpRoutes) {
    if (route.metadata?.deletionTimestamp) continue;
    const ns = route.metadata?.namespace ?? '';
    const refProblem = firstRefProblem(route, index);
    const mine: RouteParentStatus[] = [];
    const seen = new Set<EvaluatedListener>();
    for (const parentRef of route.spec?.parentRefs ?? []) {
      if ((parentRef.group ?? gatewayApiGroup) !== gatewayApiGroup || (parentRef.kind ?? 'Gateway') !== 'Gateway') continue;
      const gw = evaluated.get(`${parentRef.namespace ?? ns}/${parentRef.name}`);
      if (!gw) continue;
      const verdict = attachParent(route, parentRef, gw.listeners, namespaces, refProblem, input.now);
      const parent: RouteParentStatus = { parentRef: { ...parentRef }, controllerName: input.controllerName, conditions: verdict.conditions };
      mine.push(parent);
      for (const a of verdict.attachments) {
        const lr = routesOf.get(a.listener)!;
        if (seen.has(a.listener)) continue;
        seen.add(a.listener);
        attachedThrough.set(`${objKey(route)}|${gatewayListenerKey(a.listener)}`, { route, parent });
        a.listener.attachedRoutes++;
        for (const host of a.hostnames) {
          const entries = (route.spec?.rules ?? []).flatMap((_r, i) => ruleEntries(route, i, index));
          lr.hosts.set(host, [...(lr.hosts.get(host) ?? []), ...entries]);
        }
      }
    }
    const others = (route.status?.parents ?? []).filter((p) => p.controllerName !== input.controllerName);
    const hadOurs = (route.status?.parents ?? []).length !== others.length;
    if (mine.length === 0 && !hadOurs) continue;
    out.httpRoutes.push({ namespace: ns, name: route.metadata?.name ?? '', status: { parents: [...others, ...mine].slice(0, 32) } });
  }

  const shadowedParents = new Map<RouteParentStatus, { route: HTTPRoute; messages: string[] }>();
  for (const e of evaluated.values()) {
    const listeners = e.status.listeners ?? [];
    e.listeners.forEach((l, i) => {
      if (listeners[i]) listeners[i]!.attachedRoutes = l.attachedRoutes;
    });
    out.gateways.push({ namespace: e.gateway.metadata?.namespace ?? '', name: e.gateway.metadata?.name ?? '', status: e.status });
    const built = buildListeners(e.listeners.map((l) => routesOf.get(l)!), input.bindAddress);
    out.listeners.push(...built.listeners);
    for (const s of built.shadowed) {
      const message = shadowedMessage(s);
      const loser = s.entry.route;
      out.routeProblems.push({ namespace: loser.metadata?.namespace ?? '', name: loser.metadata?.name ?? '', reason: 'Conflict', message });
      const through = attachedThrough.get(`${objKey(loser)}|${gatewayListenerKey(s.listener)}`);
      if (!through) continue;
      const cur = shadowedParents.get(through.parent) ?? { route: loser, messages: [] };
      if (!cur.messages.includes(message)) cur.messages.push(message);
      shadowedParents.set(through.parent, cur);
    }
  }
  // The loser stays Accepted; its parent status says which route takes its requests (conflicts.ts).
  for (const [parent, { route, messages }] of shadowedParents) {
    const ns = route.metadata?.namespace ?? '';
    const old = route.status?.parents?.find((p) => p.controllerName === input.controllerName && sameParent(p.parentRef, parent.parentRef, ns))?.conditions;
    const ctx = { generation: route.metadata?.generation, old, now: input.now };
    const message = messages.join('; ');
    parent.conditions = [...parent.conditions, condition(ctx, shadowedConditionType, true, shadowedReason, message.length > 32_768 ? `${message.slice(0, 32_765)}...` : message)];
  }
  return out;
}

const gatewayListenerKey = (l: EvaluatedListener): string => `${objKey(l.gateway)}/${l.spec.name}`;
