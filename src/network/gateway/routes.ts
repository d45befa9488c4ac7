/**
 * HTTPRoute attachment and reference resolution: which listeners each parentRef of a route attaches
 * to (sectionName, port, allowedRoutes, host names), its per-parent conditions (Accepted,
 * ResolvedRefs) with the Gateway API reasons, and its backends resolved to Services.
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { BackendObjectReference, HTTPRoute, ParentReference } from '../../api/strategies/gateway/types.js';
import { gatewayApiGroup } from '../../api/strategies/gateway/types.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import type { Backend } from '../l7/route-table.js';
import { condition, type ConditionContext } from './conditions.js';
import { intersectHostnames } from './hostnames.js';
import type { BackendIndex, EvaluatedListener } from './model.js';
import { referencePermitted } from './grants.js';

export interface ResolvedRef {
  backend?: Backend;
  /** Why the reference does not resolve: InvalidKind, RefNotPermitted or BackendNotFound. */
  problem?: [string, string];
}

/** Resolves a backend reference of a route in namespace `ns` to a Service port. */
export function resolveBackend(ref: BackendObjectReference & { weight?: number }, ns: string, index: BackendIndex): ResolvedRef {
  const target = ref.namespace ?? ns;
  const where = `${target}/${ref.name}`;
  if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return { problem: ['InvalidKind', `Unsupported backend kind ${ref.kind} in group "${ref.group ?? ''}"`] };
  if (!referencePermitted(index.grants, { group: gatewayApiGroup, kind: 'HTTPRoute', namespace: ns }, { group: '', kind: 'Service', namespace: target, name: ref.name ?? '' }))
    return { problem: ['RefNotPermitted', `Backend ${where} is in another namespace and no ReferenceGrant allows it`] };
  const svc = index.services.get(where);
  if (!svc) return { problem: ['BackendNotFound', `Service ${where} not found`] };
  if (!(svc.spec?.ports ?? []).some((p) => p.port === ref.port)) return { problem: ['BackendNotFound', `Service ${where} has no port ${ref.port}`] };
  return { backend: { namespace: target, service: ref.name ?? '', port: ref.port!, ...(ref.weight !== undefined ? { weight: ref.weight } : {}) } };
}

/** The first unresolvable reference of a route (rule backends and mirror backends), if any. */
export function firstRefProblem(route: HTTPRoute, index: BackendIndex): [string, string] | undefined {
  const ns = route.metadata?.namespace ?? '';
  for (const rule of route.spec?.rules ?? []) {
    const refs: BackendObjectReference[] = [...(rule.backendRefs ?? [])];
    for (const f of rule.filters ?? []) if (f.requestMirror?.backendRef) refs.push(f.requestMirror.backendRef);
    for (const ref of refs) {
      const r = resolveBackend(ref, ns, index);
      if (r.problem) return r.problem;
    }
  }
  return undefined;
}

function namespaceAllowed(l: EvaluatedListener, routeNs: string, namespaces: ReadonlyMap<string, Namespace>): boolean {
  const from = l.spec.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === (l.gateway.metadata?.namespace ?? '');
  const sel = l.spec.allowedRoutes?.namespaces?.selector;
  return selectorFromLabelSelector(sel).matches(namespaces.get(routeNs)?.metadata?.labels ?? {});
}

export interface Attachment {
  listener: EvaluatedListener;
  hostnames: string[];
}

export interface ParentVerdict {
  parentRef: ParentReference;
  conditions: Condition[];
  attachments: Attachment[];
}

/**
 * How one parentRef of a route attaches to the listeners of its Gateway (`listeners` are that
 * Gateway's). Accepted is False with NoMatchingParent, NotAllowedByListeners,
 * NoMatchingListenerHostname or UnsupportedValue; ResolvedRefs carries `refProblem`.
 */
export function attachParent(
  route: HTTPRoute,
  parentRef: ParentReference,
  listeners: readonly EvaluatedListener[],
  namespaces: ReadonlyMap<string, Namespace>,
  refProblem: [string, string] | undefined,
  now: string,
): ParentVerdict {
  const routeNs = route.metadata?.namespace ?? '';
  const ctx: ConditionContext = {
    generation: route.metadata?.generation,
    old: route.status?.parents?.find((p) => sameParent(p.parentRef, parentRef, routeNs))?.conditions,
    now,
  };
  const named = listeners.filter((l) => (parentRef.sectionName === undefined || l.spec.name === parentRef.sectionName) && (parentRef.port === undefined || l.spec.port === parentRef.port));
  const usable = named.filter((l) => l.ready);
  const allowed = usable.filter((l) => namespaceAllowed(l, routeNs, namespaces) && l.supportedKinds.some((k) => k.kind === 'HTTPRoute'));
  const attachments = allowed.map((l) => ({ listener: l, hostnames: intersectHostnames(l.spec.hostname, route.spec?.hostnames) })).filter((a) => a.hostnames.length > 0);
  const unsupportedFilter = (route.spec?.rules ?? []).some((r) => (r.filters ?? []).some((f) => f.type === 'ExtensionRef') || (r.backendRefs ?? []).some((b) => (b.filters ?? []).length > 0));
  let accepted: [boolean, string, string] = [true, 'Accepted', 'Route is accepted'];
  if (usable.length === 0) accepted = [false, 'NoMatchingParent', named.length === 0 ? 'No listener matches the parentRef' : 'No matching listener is ready'];
  else if (allowed.length === 0) accepted = [false, 'NotAllowedByListeners', 'The listeners do not allow this route'];
  else if (attachments.length === 0) accepted = [false, 'NoMatchingListenerHostname', 'No hostname of the route matches a listener hostname'];
  else if (unsupportedFilter) accepted = [false, 'UnsupportedValue', 'ExtensionRef filters and filters on backendRefs are not supported'];
  const resolved: [boolean, string, string] = refProblem ? [false, ...refProblem] : [true, 'ResolvedRefs', 'All references are resolved'];
  return {
    parentRef,
    conditions: [condition(ctx, 'Accepted', ...accepted), condition(ctx, 'ResolvedRefs', ...resolved)],
    attachments: accepted[0] ? attachments : [],
  };
}

/** Whether two parentRefs name the same parent (defaults applied; `ns` is the route's namespace). */
export function sameParent(a: ParentReference, b: ParentReference, ns: string): boolean {
  return (
    (a.group ?? gatewayApiGroup) === (b.group ?? gatewayApiGroup) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    (a.namespace ?? ns) === (b.namespace ?? ns) &&
    a.name === b.name &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}
