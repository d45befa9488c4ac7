/**
 * What a pod is charged against a ResourceQuota (upstream's pod quota evaluator): its usage
 * (`pods`, `count/pods`, cpu/memory/ephemeral-storage requests and limits, hugepages and
 * `requests.<extended>`), which quota resources and scopes concern pods, and the old rule that a
 * quota on cpu or memory makes every container state that resource. Only creation is charged
 * (in-place resize is off by default in v1.32).
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../object.js';
import { Quantity } from '../quantity.js';
import type { QuotaEvaluator, ScopeRequirement } from './evaluator.js';
import { addLists, readList, type ResourceList } from './resource-list.js';

const podResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'count/pods',
]);
/** Resources a quota on which obliges every container to state them. */
const mustSpecify = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

const isNativeResource = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
const isExtendedResourceName = (name: string): boolean => !isNativeResource(name) && !name.startsWith('requests.');
const isExtendedForQuota = (name: string): boolean => !isNativeResource(name) && name.startsWith('requests.');

/** The quota resource names (of `names`) that pods use, sorted. */
export function podMatchingResources(names: Iterable<string>): string[] {
  return [...new Set([...names].filter((n) => podResources.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || isExtendedForQuota(n)))].sort();
}

/** A container's (or the pod's aggregated) requests and limits as quota names. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', Quantity.fromInt(1)]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, req] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    if (isExtendedResourceName(r)) out.set(`requests.${r}`, req);
  }
  return out;
}

const maxLists = (a: ResourceList, b: ResourceList): ResourceList => {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) if (!out.has(k) || out.get(k)!.cmp(v) < 0) out.set(k, v);
  return out;
};

/** Requests or limits of the whole pod: containers and sidecars summed, the largest init step, overhead. */
function aggregate(pod: Pod, field: 'requests' | 'limits'): ResourceList {
  const of = (c: Container) => readList(c.resources?.[field] as Record<string, unknown> | undefined);
  let sum: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) sum = addLists(sum, of(c));
  let sidecars: ResourceList = new Map();
  let initMax: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') {
      sum = addLists(sum, of(c));
      sidecars = addLists(sidecars, of(c));
      initMax = maxLists(initMax, sidecars);
    } else {
      initMax = maxLists(initMax, addLists(of(c), sidecars));
    }
  }
  sum = maxLists(sum, initMax);
  return addLists(sum, readList(pod.spec?.overhead as Record<string, unknown> | undefined));
}

/** Whether the pod still counts against compute quota: not terminal, not stuck past its deletion grace. */
export function podCountsForQuota(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (del && grace !== undefined && grace !== null && nowMs > Date.parse(del) + grace * 1000) return false;
  return true;
}

/** The pod's quota usage: `count/pods` always, the rest while it counts. */
export function podUsage(pod: Pod, nowMs: number): ResourceList {
  const base: ResourceList = new Map([['count/pods', Quantity.fromInt(1)]]);
  if (!podCountsForQuota(pod, nowMs)) return base;
  return addLists(base, computeUsage(aggregate(pod, 'requests'), aggregate(pod, 'limits')));
}

/** `must specify limits.memory for: a,b; requests.memory for: a`, or undefined when nothing is missing. */
export function podConstraintsError(required: Iterable<string>, pod: Pod): string | undefined {
  const req = [...required].filter((r) => mustSpecify.has(r));
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const usage = computeUsage(readList(c.resources?.requests as Record<string, unknown>), readList(c.resources?.limits as Record<string, unknown>));
    for (const r of req) if (!usage.has(r)) missing.set(r, (missing.get(r) ?? new Set()).add(c.name));
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

function isBestEffort(pod: Pod): boolean {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])])
    for (const f of ['requests', 'limits'] as const)
      for (const [k, v] of Object.entries(c.resources?.[f] ?? {})) if ((k === 'cpu' || k === 'memory') && !readList({ [k]: v }).get(k)?.isZero()) return false;
  return true;
}

const crossNamespaceTerm = (t: { namespaces?: string[]; namespaceSelector?: unknown }) => (t.namespaces ?? []).length > 0 || !!t.namespaceSelector;
function usesCrossNamespaceAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  for (const aff of [a?.podAffinity, a?.podAntiAffinity]) {
    if (!aff) continue;
    if ((aff.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespaceTerm)) return true;
    if ((aff.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crossNamespaceTerm(w.podAffinityTerm))) return true;
  }
  return false;
}

function scopeMatches(sel: ScopeRequirement, pod: Pod): boolean {
  switch (sel.scopeName) {
    case 'Terminating':
    case 'NotTerminating': {
      const ads = pod.spec?.activeDeadlineSeconds;
      const terminating = ads !== undefined && ads !== null && ads >= 0;
      return sel.scopeName === 'Terminating' ? terminating : !terminating;
    }
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const pc = pod.spec?.priorityClassName ?? '';
      switch (sel.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return pc !== '' && (sel.values ?? []).includes(pc);
        case 'NotIn':
          return pc === '' || !(sel.values ?? []).includes(pc);
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespaceAffinity(pod);
    default:
      return false;
  }
}

export const podEvaluator: QuotaEvaluator = {
  groupResource: { group: '', resource: 'pods' },
  handles: (op) => op === 'CREATE',
  matchingResources: podMatchingResources,
  matchesScope: (scope, obj: ApiObject) => scopeMatches(scope, obj as unknown as Pod),
  constraints: (required, obj: ApiObject) => podConstraintsError(required, obj as unknown as Pod),
  usage: (obj: ApiObject, nowMs) => podUsage(obj as unknown as Pod, nowMs),
};
