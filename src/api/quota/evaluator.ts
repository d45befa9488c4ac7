/**
 * The quota evaluator contract (upstream's quota.Evaluator, apiserver/pkg/quota/v1): one small,
 * stateless evaluator per kind knows which quota resource names that kind uses, how much one
 * object uses, and which quota scopes the object falls in. ResourceQuota admission and the
 * resourcequota controller pick an evaluator by group/resource and share the helpers here.
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { GroupResource } from '../errors.js';
import type { ApiObject } from '../object.js';
import { addLists, type ResourceList } from './resource-list.js';
import { Quantity } from '../quantity.js';

/** The admission operations quota looks at. */
export type QuotaOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** One scope of a quota as a selector requirement (`spec.scopes` entries are `Exists`). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface QuotaEvaluator {
  readonly groupResource: GroupResource;
  /** Whether an admission request with this operation can change the kind's usage. */
  handles(op: QuotaOperation): boolean;
  /** The names among `names` (a quota's hard resources) this kind uses, sorted, without repeats. */
  matchingResources(names: Iterable<string>): string[];
  /** Whether the object falls in one scope requirement (kinds without scopes fall in none). */
  matchesScope(scope: ScopeRequirement, obj: ApiObject): boolean;
  /** Why the object cannot be charged to a quota that limits `required` (`must specify ...`), or undefined. */
  constraints(required: readonly string[], obj: ApiObject): string | undefined;
  /** What the object uses, by quota resource name. */
  usage(obj: ApiObject, nowMs: number): ResourceList;
}

/** The quota's scopes as selector requirements: `spec.scopes` (as `Exists`), then `spec.scopeSelector`. */
export function quotaScopes(rq: ResourceQuota): ScopeRequirement[] {
  return [...(rq.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' })), ...((rq.spec?.scopeSelector?.matchExpressions ?? []) as ScopeRequirement[])];
}

/** Whether the object falls in every scope of the quota (a quota without scopes covers everything). */
export function matchesScopes(ev: QuotaEvaluator, rq: ResourceQuota, obj: ApiObject): boolean {
  return quotaScopes(rq).every((s) => ev.matchesScope(s, obj));
}

/**
 * Upstream generic.Matches: the quota limits a resource the kind uses (among `hard`) and the
 * object falls in all of its scopes.
 */
export function quotaMatches(ev: QuotaEvaluator, rq: ResourceQuota, hard: Iterable<string>, obj: ApiObject): boolean {
  return ev.matchingResources(hard).length > 0 && matchesScopes(ev, rq, obj);
}

/**
 * Upstream CalculateUsageStats: zero for each of `names`, plus the usage of every object that
 * falls in the quota's scopes (the caller masks the sum to the names it tracks).
 */
export function usageStats(ev: QuotaEvaluator, rq: ResourceQuota, names: readonly string[], objects: readonly ApiObject[], nowMs: number): ResourceList {
  let used: ResourceList = new Map(names.map((n) => [n, Quantity.zero()]));
  for (const obj of objects) if (matchesScopes(ev, rq, obj)) used = addLists(used, ev.usage(obj, nowMs));
  return used;
}

/** `names` ∩ `known`, sorted, without repeats (upstream quota.Intersection). */
export function intersect(names: Iterable<string>, known: ReadonlySet<string>): string[] {
  return [...new Set([...names].filter((n) => known.has(n)))].sort();
}

/** Matches no scope: kinds that quota scopes do not apply to (upstream MatchesNoScopeFunc). */
export const matchesNoScope = (): boolean => false;

/** Kinds with nothing to specify. */
export const noConstraints = (): undefined => undefined;
