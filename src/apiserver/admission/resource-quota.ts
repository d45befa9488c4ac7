/**
 * The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota) for pods: a new pod is
 * charged against every quota of its namespace that governs it (status.hard, kept by the
 * resourcequota controller; a quota without status does not apply yet). It is refused with
 * upstream's 403 messages when it misses a cpu/memory value the quota needs, when the quota's usage
 * is unknown, or when it would exceed the quota; else the quotas' status.used is raised by the
 * pod's usage before the pod is stored (the controller recounts later), retried on a conflict.
 */
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { StatusError, isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { podConstraintsError, podMatchingResources, podUsage, quotaMatchesPod } from '../../api/quota/pod-usage.js';
import { addLists, equalLists, isZeroList, lessThanOrEqual, maskList, prettyPrint, readList, type ResourceList, writeList } from '../../api/quota/resource-list.js';
import type { Admission, Operation } from '../registry/services.js';

export interface QuotaAccess {
  /** The namespace's quotas, read from storage (each with its resourceVersion). */
  list(namespace: string): Promise<ResourceQuota[]>;
  /** Writes `quota.status` if its resourceVersion is still current; a 409 StatusError otherwise. */
  writeStatus(quota: ResourceQuota): Promise<void>;
  now(): number;
}

/** The outcome of charging a pod: refused (the message), or the quotas whose usage must rise. */
export type ChargeResult = { refused: string } | { charge: ResourceQuota[] };

/** Upstream's checkRequest for a pod against the namespace's quotas (pure). */
export function chargePod(quotas: readonly ResourceQuota[], pod: Pod, nowMs: number): ChargeResult {
  const interesting: ResourceQuota[] = [];
  for (const rq of quotas) {
    const hard = readList(rq.status?.hard as Record<string, unknown>);
    if (!quotaMatchesPod(rq, hard.keys(), pod)) continue;
    const restricted = podMatchingResources(hard.keys());
    const constraint = podConstraintsError(restricted, pod);
    if (constraint) return { refused: `failed quota: ${rq.metadata?.name}: ${constraint}` };
    const used = rq.status?.used ?? {};
    if (restricted.some((r) => !(r in used))) return { refused: `status unknown for quota: ${rq.metadata?.name}, resources: ${[...restricted].sort().join(',')}` };
    interesting.push(rq);
  }
  const delta = podUsage(pod, nowMs);
  if (!interesting.length || isZeroList(delta)) return { charge: [] };
  const charge: ResourceQuota[] = [];
  for (const rq of interesting) {
    const hard = readList(rq.status?.hard as Record<string, unknown>);
    const used = readList(rq.status?.used as Record<string, unknown>);
    const requested: ResourceList = maskList(delta, hard.keys());
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

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { dryRun: boolean; subresource?: string }): Promise<void> {
    if (op !== 'CREATE' || def.group || def.kind !== 'Pod' || opts.subresource) return;
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    for (let attempt = 1; ; attempt++) {
      const quotas = await this.quotas.list(ns);
      if (!quotas.length) return;
      const result = chargePod(quotas, obj as unknown as Pod, this.quotas.now());
      if ('refused' in result) throw new StatusError(403, 'Forbidden', `pods "${name}" is forbidden: ${result.refused}`, { name, kind: 'pods' });
      if (opts.dryRun || !result.charge.length) return;
      try {
        for (const rq of result.charge) await this.quotas.writeStatus(rq);
        return;
      } catch (e) {
        if (!(isStatusError(e) && e.code === 409) || attempt >= maxAttempts) throw e;
      }
    }
  }
}
