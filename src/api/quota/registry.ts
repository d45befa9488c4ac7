/**
 * Which quota evaluator measures which kind (upstream's pkg/quota/v1/evaluator/core/registry.go
 * and pkg/quota/v1/install): pods, Services and PersistentVolumeClaims have their own; ConfigMaps,
 * Secrets, ReplicationControllers and ResourceQuotas are counted under `count/<resource>` and
 * their legacy name; every other namespaced kind is counted under `count/<resource>.<group>`;
 * virtual kinds and Events are never counted.
 */
import type { GroupResource } from '../errors.js';
import type { QuotaEvaluator } from './evaluator.js';
import { objectCountEvaluator, parseObjectCountName } from './object-count.js';
import { podEvaluator } from './pod-usage.js';
import { pvcEvaluator } from './pvc-usage.js';
import { serviceEvaluator } from './service-usage.js';

const key = (gr: GroupResource): string => `${gr.group}/${gr.resource}`;

/** Kinds quota leaves alone: not stored (reviews, bindings) or never counted (Events). */
const ignoredResources = new Set([
  '/bindings',
  '/componentstatuses',
  '/events',
  'events.k8s.io/events',
  'authentication.k8s.io/tokenreviews',
  'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
]);

/** Core kinds whose count quota also answers to a name from before `count/` existed. */
const legacyAliases: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };

const special = new Map<string, QuotaEvaluator>([podEvaluator, serviceEvaluator, pvcEvaluator].map((e) => [key(e.groupResource), e]));
for (const [resource, alias] of Object.entries(legacyAliases)) special.set(`/${resource}`, objectCountEvaluator({ group: '', resource }, alias));

export const isQuotaIgnored = (gr: GroupResource): boolean => ignoredResources.has(key(gr));

/** The evaluator for a kind, or undefined for the kinds quota ignores. */
export function evaluatorFor(gr: GroupResource): QuotaEvaluator | undefined {
  if (isQuotaIgnored(gr)) return undefined;
  return special.get(key(gr)) ?? objectCountEvaluator(gr);
}

/**
 * The evaluators a quota with these hard resource names needs (upstream's registry list filtered
 * by MatchingResources): the built-in ones that use any of the names, and an object counter for
 * each other `count/...` name.
 */
export function evaluatorsForNames(names: Iterable<string>): QuotaEvaluator[] {
  const list = [...names];
  const out = new Map<string, QuotaEvaluator>();
  for (const [k, ev] of special) if (ev.matchingResources(list).length) out.set(k, ev);
  for (const n of list) {
    const gr = parseObjectCountName(n);
    if (!gr || out.has(key(gr))) continue;
    const ev = evaluatorFor(gr);
    if (ev) out.set(key(gr), ev);
  }
  return [...out.values()];
}

/** Upstream GetQuotableResources: namespaced kinds that can be created, listed, watched and deleted. */
export function isQuotable(r: { group: string; plural: string; namespaced: boolean; verbs: readonly string[] }): boolean {
  return r.namespaced && ['create', 'list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) && !isQuotaIgnored({ group: r.group, resource: r.plural });
}
