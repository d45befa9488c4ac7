/**
 * The status conditions the namespace deleter maintains while a namespace terminates, as
 * `pkg/controller/namespace/deletion/status_condition_utils.go`: every sync sets all five types,
 * the failure variant when something went wrong and the "ok" variant otherwise. Pure.
 */
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';

export const conditionTypes = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type DeletionConditionType = (typeof conditionTypes)[number];

const okReasons: Record<DeletionConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentHasNoFinalizers',
};

const okMessages: Record<DeletionConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
};

/** What one pass of content deletion found. */
export interface DeletionReport {
  /** Discovery failed (fully, or for some groups); the message of that error. */
  discoveryError?: { message: string; failedGroups?: number };
  /** Messages of the errors deleting content, one per resource that failed. */
  contentErrors: string[];
  /** Remaining instances per resource, keyed `<plural>.<group>` (core: `pods.`). */
  remainingByResource: Map<string, number>;
  /** Remaining instances per finalizer. */
  remainingByFinalizer: Map<string, number>;
}

export const emptyReport = (): DeletionReport => ({ contentErrors: [], remainingByResource: new Map(), remainingByFinalizer: new Map() });

type Cond = { type: DeletionConditionType; status: 'True'; reason: string; message: string };

/** The failure conditions a report implies (types absent from the result are "ok"). */
export function failureConditions(r: DeletionReport): Cond[] {
  const out: Cond[] = [];
  if (r.discoveryError) {
    const { message, failedGroups } = r.discoveryError;
    out.push({
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'True',
      reason: 'DiscoveryFailed',
      message: failedGroups !== undefined ? `Discovery failed for some groups, ${failedGroups} failing: ${message}` : message,
    });
  }
  if (r.contentErrors.length) {
    const msgs = [...r.contentErrors].sort();
    out.push({
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    });
  }
  const resources = [...r.remainingByResource].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`);
  if (r.remainingByResource.size) {
    out.push({ type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${resources.sort().join(', ')}` });
  }
  const finalizers = [...r.remainingByFinalizer].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`);
  if (r.remainingByFinalizer.size) {
    out.push({
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizers.sort().join(', ')}`,
    });
  }
  return out;
}

/**
 * Merges the conditions a report implies into `existing`: every deleter-owned type is present
 * afterwards; `lastTransitionTime` changes only when a condition's status flips. Returns the new
 * list (a copy) and whether anything changed.
 */
export function updateDeletionConditions(existing: readonly NamespaceCondition[] | undefined, report: DeletionReport, now: string): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (existing ?? []).map((c) => ({ ...c }));
  const failures = failureConditions(report);
  let changed = false;
  for (const type of conditionTypes) {
    const want = failures.find((c) => c.type === type) ?? { type, status: 'False' as const, reason: okReasons[type], message: okMessages[type] };
    const have = conditions.find((c) => c.type === type);
    if (!have) {
      conditions.push({ type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
      changed = true;
    } else if (have.status !== want.status || have.reason !== want.reason || have.message !== want.message) {
      if (have.status !== want.status) have.lastTransitionTime = now;
      have.status = want.status;
      have.reason = want.reason;
      have.message = want.message;
      changed = true;
    }
  }
  return { conditions, changed };
}

/** metav1.Time's wire form: RFC 3339 in UTC, whole seconds. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
