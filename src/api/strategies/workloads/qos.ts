/**
 * The quality-of-service class of a pod, following pkg/apis/core/helper/qos/qos.go
 * (ComputePodQOS): only cpu and memory count, zero quantities are ignored, init containers count
 * like regular ones.
 */
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity } from '../../quantity.js';
import { isObject } from './util.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const qosResources = new Set(['cpu', 'memory']);

function addPositive(into: Map<string, Quantity>, list: unknown, found?: Set<string>): void {
  if (!isObject(list)) return;
  for (const [name, raw] of Object.entries(list)) {
    if (!qosResources.has(name)) continue;
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    const q = parseQuantity(raw);
    if (!q || q.sign() <= 0) continue;
    found?.add(name);
    const prev = into.get(name);
    into.set(name, prev ? prev.add(q) : q);
  }
}

/** ComputePodQOS over a pod spec. */
export function computeQOSClass(podOrSpec: Pod | PodSpec): QOSClass {
  const spec: PodSpec | undefined = 'containers' in podOrSpec ? (podOrSpec as PodSpec) : (podOrSpec as Pod).spec;
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    if (!isObject(c)) continue;
    addPositive(requests, c.resources?.requests);
    const found = new Set<string>();
    addPositive(limits, c.resources?.limits, found);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
