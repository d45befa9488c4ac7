/**
 * The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota): a write to a namespaced
 * kind is charged against every quota of its namespace that governs it (status.hard, kept by the
 * resourcequota controller; a quota without status does not apply yet), through the kind's quota
 * evaluator (api/quota/registry.ts): pods, Services and PersistentVolumeClaims by what they use,
 * every other kind by count. Creation is charged for all kinds, updates for the kinds whose usage
 * an update can change (Services, claims), by how much the usage grows. It is refused with
 * upstream's 403 messages when an object misses a value the quota needs, when the quota's usage is
 * unknown, or when it would exceed the quota; else the quotas' status.used is raised before the
 * object is stored (the controller recounts later), retried on a conflict. Subresource writes are
 * not charged.
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { StatusError, isStatusError, qualifiedResource } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { type QuotaEvaluator, type QuotaOperation, quotaMatches } from '../../api/quota/evaluator.js';
import { evaluatorFor } from '../../api/quota/registry.js';
import { addLists, equalLists, lessThanOrEqual, maskList, prettyPrint, readList, removeZeros, type ResourceList, subtractNonNegative, writeList } from '../../api/quota/resource-list.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

export interface QuotaAccess {
  /**
   * The namespace's quotas, each with its resourceVersion; `fresh` asks for a read of storage
   * rather than a possibly older cached list.
   */
  list(namespace: string, fresh: boolean): Promise<ResourceQuota[]>;
  /** Writes `quota.status` if its resourceVersion is still current; a 409 StatusError otherwise. */
  writeStatus(quota: ResourceQuota): Promise<void>;
  now(): number;
}

/** The outcome of charging a request: refused (the message), or the quotas whose usage must rise. */
export type ChargeResult = { refused: string } | { charge: ResourceQuota[] };

export interface QuotaRequest {
  op: QuotaOperation;
  obj: ApiObject;
  /** The stored object an update replaces. */
  old?: ApiObject;
}

const sortedNames = (names: Iterable<string>): string => [...names].sort().join(',');

/** Upstream's CheckRequest: the request against the namespace's quotas (pure). */
export function checkRequest(quotas: readonly ResourceQuota[], ev: QuotaEvaluator, req: QuotaRequest, nowMs: number): ChargeResult {
  if (!ev.handles(req.op)) return { charge: [] };
  const interesting: ResourceQuota[] = [];
  for (const rq of quotas) {
    const hard = Object.keys(rq.status?.hard ?? {});
    if (!quotaMatches(ev, rq, hard, req.obj)) continue;
    const restricted = ev.matchingResources(hard);
    const constraint = ev.constraints(restricted, req.obj);
    if (constraint) return { refused: `failed quota: ${rq.metadata?.name}: ${constraint}` };
    const used = rq.status?.used ?? {};
    if (restricted.some((r) => !(r in used))) return { refused: `status unknown for quota: ${rq.metadata?.name}, resources: ${sortedNames(restricted)}` };
    interesting.push(rq);
  }
  if (!interesting.length) return { charge: [] };
  const input = ev.usage(req.obj, nowMs);
  // An update is charged only what it adds, to the quotas that already covered the old object.
  const previous = req.op === 'UPDATE' && req.old?.metadata.resourceVersion ? req.old : undefined;
  const growth = previous ? subtractNonNegative(input, ev.usage(previous, nowMs)) : input;
  const charge: ResourceQuota[] = [];
  for (const rq of interesting) {
    const hardNames = Object.keys(rq.status?.hard ?? {});
    const delta: ResourceList = removeZeros(previous && quotaMatches(ev, rq, hardNames, previous) ? growth : input);
    if (!delta.size) continue;
    const hard = readList(rq.status?.hard as Record<string, unknown>);
    const used = readList(rq.status?.used as Record<string, unknown>);
    const requested = maskList(delta, hard.keys());
    const next = addLists(used, requested);
    const { allowed, exceeded } = lessThanOrEqual(maskList(next, requested.keys()), hard);
    if (!allowed)
      return {
        refused: `exceeded quota: ${rq.metadata?.name}, requested: ${prettyPrint(maskList(requested, exceeded))}, used: ${prettyPrint(maskList(used, exceeded))}, limited: ${prettyPrint(maskList(hard, exceeded))}`,
      };
    if (!equalLists(next, used)) charge.push({ ...rq, status: { ...rq.status, used: writeList(next) } });
  }
  return { charge };
}

const maxAttempts = 5;

export class ResourceQuotaAdmission implements Admission {
  constructor(private readonly quotas: QuotaAccess) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, old: ApiObject | undefined, opts: { dryRun: boolean; subresource?: string }): Promise<void> {
    const ns = obj.metadata.namespace ?? '';
    if (opts.subresource || !def.namespaced || !ns) return;
    const gr = { group: def.group, resource: def.plural };
    const ev = evaluatorFor(gr);
    if (!ev?.handles(op)) return;
    const name = obj.metadata.name ?? '';
    // Quotas already raised for this request: a retry after a conflict charges only the others.
    const written = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      // A cached list may lag behind the last charge: a refusal, and every retry, reads storage.
      const fresh = attempt > 1;
      const quotas = (await this.quotas.list(ns, fresh)).filter((q) => !written.has(q.metadata?.name ?? ''));
      if (!quotas.length) return;
      const result = checkRequest(quotas, ev, { op, obj, old }, this.quotas.now());
      if ('refused' in result) {
        if (!fresh) continue;
        throw new StatusError(403, 'Forbidden', `${qualifiedResource(gr)} "${name}" is forbidden: ${result.refused}`, { name, group: gr.group || undefined, kind: gr.resource });
      }
      if (opts.dryRun || !result.charge.length) return;
      try {
        for (const rq of result.charge) {
          await this.quotas.writeStatus(rq);
          written.add(rq.metadata?.name ?? '');
        }
        return;
      } catch (e) {
        if (!(isStatusError(e) && e.code === 409) || attempt >= maxAttempts) throw e;
      }
    }
  }
}
