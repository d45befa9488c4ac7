/**
 * Writing the slices a controller manages, shared by the EndpointSlice and the mirroring
 * controllers: which slices are a Service's (by the service-name and managed-by labels), applying
 * a plan, re-syncing a Service when one of its slices changes, and a tracker of the controller's
 * own writes so that a sync never acts on a cache that has not caught up with them (upstream's
 * endpointSliceTracker).
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Informer } from '../../client/informer.js';
import { managedByLabel, serviceNameLabel, type SlicePlan } from './slice-decisions.js';

/** How soon to look again while the informer has not yet seen this controller's own writes. */
export const staleSliceRetryMs = 50;

/**
 * The slices this controller last wrote per Service, so that a sync does not act on a cache that
 * has not caught up with them yet (upstream's endpointSliceTracker): a resourceVersion that must
 * have arrived, or `deleted`.
 */
export class SliceTracker {
  private readonly expected = new Map<string, Map<string, string>>();

  wrote(key: string, slice: ApiObject | EndpointSlice, deleted = false): void {
    const name = slice.metadata?.name ?? '';
    let m = this.expected.get(key);
    if (!m) this.expected.set(key, (m = new Map()));
    m.set(name, deleted ? 'deleted' : (slice.metadata?.resourceVersion ?? '0'));
  }

  /** Whether the cache shows every write made for `key`; met expectations are forgotten. */
  caughtUp(key: string, cached: (name: string) => ApiObject | undefined): boolean {
    const m = this.expected.get(key);
    if (!m) return true;
    for (const [name, rv] of m) {
      const have = cached(name);
      const seen = rv === 'deleted' ? !have : !!have && Number(have.metadata.resourceVersion ?? 0) >= Number(rv);
      if (seen) m.delete(name);
    }
    if (!m.size) this.expected.delete(key);
    return !m.size;
  }

  forget(key: string): void {
    this.expected.delete(key);
  }
}


/** The slices of Service `namespace/name` that `manager` manages. */
export function managedSlices(slices: Informer<ApiObject>, namespace: string, name: string, manager: string): EndpointSlice[] {
  return (slices.byIndex('namespace', namespace) as unknown as EndpointSlice[]).filter(
    (s) => s.metadata?.labels?.[serviceNameLabel] === name && s.metadata?.labels?.[managedByLabel] === manager,
  );
}

/** Enqueues the Service of a slice `manager` manages when the slice is changed or deleted. */
export function watchManagedSlices(slices: Informer<ApiObject>, manager: string, enqueue: (key: string) => void): void {
  const forSlice = (s: ApiObject) => {
    const svc = s.metadata.labels?.[serviceNameLabel];
    if (svc && s.metadata.labels?.[managedByLabel] === manager) enqueue(`${s.metadata.namespace}/${svc}`);
  };
  slices.addEventHandler({ onUpdate: (_o, s) => forSlice(s), onDelete: forSlice });
}

/** Deletes, updates and creates as planned, recording each write; a namespace going away (403) ends it quietly. */
export async function applySlicePlan(client: ApiClient, tracker: SliceTracker, key: string, namespace: string, plan: SlicePlan, signal: AbortSignal): Promise<void> {
  const ref = builtinRefs.endpointslices;
  try {
    for (const s of plan.delete) {
      await client.delete(ref, s.metadata?.name ?? '', { namespace, signal }).catch((e: unknown) => {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      });
      tracker.wrote(key, s, true);
    }
    for (const s of plan.update) tracker.wrote(key, await client.update(ref, s as unknown as ApiObject, { signal }));
    for (const s of plan.create) tracker.wrote(key, await client.create(ref, s as unknown as ApiObject, { namespace, signal }));
  } catch (e) {
    if (isStatusError(e) && e.code === 403) return;
    throw e;
  }
}
