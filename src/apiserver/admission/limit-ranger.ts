/**
 * The LimitRanger admission plugin (plugin/pkg/admission/limitranger) for pods: on create, every
 * container without a request or limit for a resource gets its namespace's LimitRange defaults
 * (recorded in the `kubernetes.io/limit-ranger` annotation), then the pod must keep within each
 * LimitRange's min, max and maxLimitRequestRatio, per container and per pod; else 403 with
 * upstream's messages.
 */
import type { Container, LimitRange, LimitRangeItem, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { type Quantity, parseQuantity } from '../../api/quantity.js';
import type { ResourceDef } from '../../api/resource.js';
import { addLists, readList, type ResourceList } from '../../api/quota/resource-list.js';
import type { Admission, Operation } from '../registry/services.js';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

/** Adds the Container-type defaults of `lr` to containers lacking them; returns the annotation parts. */
function applyDefaults(lr: LimitRange, pod: Pod): void {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  const notes: string[] = [];
  const merge = (c: Container, kind: string) => {
    const res = (c.resources ??= {});
    const lim = (res.limits ??= {}) as Record<string, string>;
    const req = (res.requests ??= {}) as Record<string, string>;
    const setLimits = Object.keys(limits).filter((k) => !(k in lim));
    const setRequests = Object.keys(requests).filter((k) => !(k in req));
    for (const k of setLimits) lim[k] = limits[k]!;
    for (const k of setRequests) req[k] = requests[k]!;
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${kind} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${kind} ${c.name}`);
    // Empty maps are omitted on the wire.
    if (!Object.keys(lim).length) delete res.limits;
    if (!Object.keys(req).length) delete res.requests;
  };
  for (const c of pod.spec?.containers ?? []) merge(c, 'container');
  for (const c of pod.spec?.initContainers ?? []) merge(c, 'init container');
  if (notes.length) ((pod.metadata ??= {}).annotations ??= {})[limitRangerAnnotation] = `LimitRanger plugin set: ${notes.join('; ')}`;
}

const str = (q: Quantity | undefined): string => (q ? q.toString() : '0');

function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${str(req)}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${str(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${str(lim)}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${str(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const ratio = Number(lim.milliValue()) / Number(req.milliValue());
  if (ratio * 1000 > Number(enforced.milliValue())) return `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

/** The entries of a LimitRange item's quantity map, sorted by name. */
function entries(m: LimitRangeItem['max']): [string, Quantity][] {
  return Object.keys(m ?? {})
    .sort()
    .flatMap((k) => {
      const q = parseQuantity((m as Record<string, string>)[k]!);
      return q ? [[k, q] as [string, Quantity]] : [];
    });
}

function checkItem(item: LimitRangeItem, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  for (const [k, v] of entries(item.min)) {
    const e = minConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of entries(item.max)) {
    const e = maxConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
  for (const [k, v] of entries(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(type, k, v, requests, limits);
    if (e) errs.push(e);
  }
}

/** Pod-level requests or limits: containers summed, the largest init container (no sidecar or overhead rules). */
function podTotal(pod: Pod, field: 'requests' | 'limits'): ResourceList {
  let sum: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) sum = addLists(sum, readList(c.resources?.[field] as Record<string, unknown>));
  for (const c of pod.spec?.initContainers ?? [])
    for (const [k, v] of readList(c.resources?.[field] as Record<string, unknown>)) if (!sum.has(k) || sum.get(k)!.cmp(v) < 0) sum.set(k, v);
  return sum;
}

/** The violations of one LimitRange by the (defaulted) pod. */
export function limitRangeViolations(lr: LimitRange, pod: Pod): string[] {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container')
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])])
        checkItem(item, 'Container', readList(c.resources?.requests as Record<string, unknown>), readList(c.resources?.limits as Record<string, unknown>), errs);
    if (item.type === 'Pod') checkItem(item, 'Pod', podTotal(pod, 'requests'), podTotal(pod, 'limits'), errs);
  }
  return errs;
}

/** Go's aggregate error text: one message alone, several (duplicates dropped) in brackets. */
export function aggregateMessage(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export class LimitRangerAdmission implements Admission {
  /** `listLimitRanges` reads a namespace's LimitRanges. */
  constructor(private readonly listLimitRanges: (namespace: string) => Promise<LimitRange[]>) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { dryRun: boolean; subresource?: string }): Promise<void> {
    // Containers cannot change after creation, so only creates are defaulted and checked.
    if (op !== 'CREATE' || def.group || def.kind !== 'Pod' || opts.subresource) return;
    const pod = obj as unknown as Pod;
    const ranges = await this.listLimitRanges(obj.metadata.namespace ?? '');
    if (!ranges.length) return;
    for (const lr of ranges) applyDefaults(lr, pod);
    for (const lr of ranges) {
      const errs = limitRangeViolations(lr, pod);
      if (errs.length) {
        const name = obj.metadata.name ?? '';
        throw new StatusError(403, 'Forbidden', `pods "${name}" is forbidden: ${aggregateMessage(errs)}`, { name, kind: 'pods' });
      }
    }
  }
}
