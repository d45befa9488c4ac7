/**
 * A ResourceQuota's status as the resourcequota controller recomputes it (upstream's
 * quota.CalculateUsage and syncResourceQuota): `hard` mirrors the spec; `used` is recounted, for
 * each hard resource some evaluator measures, from the objects of that evaluator's kind in the
 * quota's namespace. A resource whose objects are not known yet (not listed, or not served) keeps
 * the value it had; resources no longer in `hard` are dropped.
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { GroupResource } from '../errors.js';
import type { ApiObject } from '../object.js';
import { Quantity } from '../quantity.js';
import { usageStats } from './evaluator.js';
import { evaluatorsForNames } from './registry.js';
import { maskList, readList, writeList } from './resource-list.js';

/** The objects of a kind in the quota's namespace, or undefined while they are not known. */
export type ObjectsOf = (gr: GroupResource) => readonly ApiObject[] | undefined;

/** The kinds whose objects a quota's usage is counted from. */
export function quotaKinds(rq: ResourceQuota): GroupResource[] {
  return evaluatorsForNames(Object.keys(rq.spec?.hard ?? {})).map((e) => e.groupResource);
}

export function quotaStatus(rq: ResourceQuota, objectsOf: ObjectsOf, nowMs: number): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = readList(rq.spec?.hard as Record<string, unknown>);
  const names = [...hard.keys()];
  const used = readList(rq.status?.used as Record<string, unknown>);
  for (const ev of evaluatorsForNames(names)) {
    const objects = objectsOf(ev.groupResource);
    if (!objects) continue;
    const mine = ev.matchingResources(names);
    const stats = usageStats(ev, rq, mine, objects, nowMs);
    for (const n of mine) used.set(n, stats.get(n) ?? Quantity.zero());
  }
  return { hard: writeList(hard), used: writeList(maskList(used, names)) };
}
