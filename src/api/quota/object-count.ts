/**
 * Object-count quota (upstream's generic objectCountEvaluator): every object of a namespaced kind
 * counts 1 against `count/<resource>.<group>` (`count/<resource>` for the core group), and for a
 * few core kinds also against a legacy name (`configmaps`, `secrets`, ...). Only creation changes
 * a count; scopes never match.
 */
import type { GroupResource } from '../errors.js';
import { Quantity } from '../quantity.js';
import { intersect, matchesNoScope, noConstraints, type QuotaEvaluator } from './evaluator.js';
import type { ResourceList } from './resource-list.js';

/** `count/<resource>` (core) or `count/<resource>.<group>`. */
export function objectCountName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/**
 * The group/resource an object-count name counts, or undefined when `name` is not one. Resource
 * names never hold a dot, so the group starts at the first one.
 */
export function parseObjectCountName(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  const gr = dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
  return gr.resource ? gr : undefined;
}

/** The evaluator counting objects of `gr`, also under `alias` when given. */
export function objectCountEvaluator(gr: GroupResource, alias?: string): QuotaEvaluator {
  const names = [objectCountName(gr), ...(alias ? [alias] : [])];
  const known = new Set(names);
  return {
    groupResource: gr,
    handles: (op) => op === 'CREATE',
    matchingResources: (input) => intersect(input, known),
    matchesScope: matchesNoScope,
    constraints: noConstraints,
    usage: (): ResourceList => new Map(names.map((n) => [n, Quantity.fromInt(1)])),
  };
}
