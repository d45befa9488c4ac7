/**
 * Empties a terminating namespace and releases its `kubernetes` finalizer, following
 * `pkg/controller/namespace/deletion/namespaced_resources_deleter.go`:
 *   1. re-read the namespace (NotFound or not deleting: nothing to do);
 *   2. set status.phase Terminating if needed;
 *   3. if spec.finalizers is already empty, done;
 *   4. for every discovered deletable namespaced resource: deletecollection (or list + delete each),
 *      then list what remains; record the deletion conditions on the namespace status;
 *   5. errors → retry with backoff; content still going away → look again after its estimate;
 *   6. otherwise PUT /finalize without `kubernetes` (the server deletes the namespace when no
 *      finalizers are left).
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { isStatusError, StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { type DiscoveryResult, GroupDiscoveryFailedError } from '../../client/discovery.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';
import { type DeletionReport, emptyReport, rfc3339, updateDeletionConditions } from './deletion-conditions.js';
import {
  type NamespaceStepInput as StepInput,
  deletableResources,
  finalizersWithout,
  groupResourceLabel,
  gvrString,
  judgeRemaining,
  namespaceStep,
  podTerminationEstimate,
  remainingRequeueMs,
} from './deletion-decisions.js';
import type { DiscoveredResource } from '../../client/discovery.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const namespacesResource: ResourceRef = builtinRefs.namespaces;
const podsResource: ResourceRef = builtinRefs.pods;

/** The API calls the deleter makes. */
export type DeleterClient = Pick<ApiClient, 'get' | 'list' | 'delete' | 'deleteCollection' | 'update' | 'updateStatus'>;

export interface DeleterOptions {
  client: DeleterClient;
  discover: (signal?: AbortSignal) => Promise<DiscoveryResult>;
  now?: () => number;
  logger?: Logger;
}

/** Content is still going away; look again after `requeueAfterMs`. */
export interface DeleteOutcome {
  requeueAfterMs?: number;
}

const isNotFound = (e: unknown) => isStatusError(e) && e.code === 404;
const isConflict = (e: unknown) => isStatusError(e) && e.code === 409 && e.reason === 'Conflict';
const isUnsupported = (e: unknown) => isStatusError(e) && (e.code === 405 || e.code === 404);

/** Several errors as one (apimachinery's utilerrors.NewAggregate wording). */
export class AggregateDeletionError extends Error {
  constructor(readonly errors: Error[]) {
    super(errors.length === 1 ? errors[0].message : `[${errors.map((e) => e.message).join(', ')}]`);
    this.name = 'AggregateError';
  }
}

export class NamespacedResourcesDeleter {
  private readonly now: () => number;

  constructor(private readonly opts: DeleterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** One pass over namespace `name`; throws to be retried with backoff. */
  async delete(name: string, signal?: AbortSignal): Promise<DeleteOutcome> {
    const { client } = this.opts;
    let ns: Namespace;
    try {
      ns = await client.get<Namespace>(namespacesResource, name, { signal });
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
    if (namespaceStep(ns as StepInput) === 'ignore') return {};
    try {
      if (namespaceStep(ns as StepInput) === 'mark-terminating') {
        ns = await this.retryOnConflict(ns, (cur) =>
          cur.status?.phase === 'Terminating' ? Promise.resolve(cur) : client.updateStatus(namespacesResource, { ...cur, status: { ...cur.status, phase: 'Terminating' } } as ApiObject, { signal }) as Promise<Namespace>,
        );
      }
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
    const step = namespaceStep(ns as StepInput);
    if (step === 'ignore' || step === 'done') return {};

    const { estimate, latest } = await this.deleteAllContent(ns, signal);
    ns = latest;
    if (estimate > 0) return { requeueAfterMs: remainingRequeueMs(estimate) };

    try {
      await this.retryOnConflict(ns, (cur) =>
        client.update(namespacesResource, { ...cur, spec: { ...cur.spec, finalizers: finalizersWithout(cur.spec?.finalizers) } } as ApiObject, { subresource: 'finalize', signal }) as Promise<Namespace>,
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return {};
  }

  /**
   * Deletes everything in the namespace; returns seconds to wait for what is still going away and
   * the namespace as last written, or throws.
   */
  private async deleteAllContent(ns: Namespace, signal?: AbortSignal): Promise<{ estimate: number; latest: Namespace }> {
    const name = ns.metadata!.name!;
    const deletedAt = Date.parse(ns.metadata!.deletionTimestamp!);
    const report: DeletionReport = emptyReport();
    const errors: Error[] = [];
    let resources: DiscoveredResource[] = [];
    try {
      const found = await this.opts.discover(signal);
      resources = deletableResources(found.lists);
      if (found.error) {
        errors.push(found.error);
        report.discoveryError = { message: found.error.message, failedGroups: found.error.groups.size };
      }
    } catch (e) {
      errors.push(e as Error);
      report.discoveryError = e instanceof GroupDiscoveryFailedError ? { message: e.message, failedGroups: e.groups.size } : { message: (e as Error).message };
    }

    let estimate = 0;
    for (const r of resources) {
      const res = await this.deleteResourceContent(r, name, deletedAt, signal);
      if (res.error) {
        errors.push(res.error);
        report.contentErrors.push(res.error.message);
      }
      estimate = Math.max(estimate, res.estimateSeconds);
      if (res.numRemaining > 0) {
        report.remainingByResource.set(groupResourceLabel(r), res.numRemaining);
        for (const [f, n] of res.finalizers) report.remainingByFinalizer.set(f, (report.remainingByFinalizer.get(f) ?? 0) + n);
      }
    }

    const { conditions, changed } = updateDeletionConditions(ns.status?.conditions, report, rfc3339(this.now()));
    let latest = ns;
    if (changed) {
      try {
        latest = (await this.opts.client.updateStatus(namespacesResource, { ...ns, status: { ...ns.status, conditions } } as ApiObject, { signal })) as Namespace;
      } catch (e) {
        this.opts.logger?.warn('could not update namespace deletion conditions', { namespace: name, error: (e as Error).message });
      }
    }
    if (errors.length) throw new AggregateDeletionError(errors);
    return { estimate, latest };
  }

  private async deleteResourceContent(
    r: DiscoveredResource,
    namespace: string,
    deletedAt: number,
    signal?: AbortSignal,
  ): Promise<{ estimateSeconds: number; numRemaining: number; finalizers: Map<string, number>; error?: Error }> {
    const { client } = this.opts;
    const none = { numRemaining: 0, finalizers: new Map<string, number>() };
    let estimate = 0;
    try {
      if (r.group === '' && r.plural === 'pods') {
        const pods = await client.list<{ spec?: { terminationGracePeriodSeconds?: number }; status?: { phase?: string } }>(podsResource, { namespace, signal });
        estimate = podTerminationEstimate(pods.items, deletedAt, this.now());
      }
    } catch (e) {
      return { estimateSeconds: 0, ...none, error: e as Error };
    }
    const canList = r.verbs.includes('list');
    try {
      let collectionDeleted = false;
      if (r.verbs.includes('deletecollection')) {
        try {
          await client.deleteCollection(r, { namespace, propagationPolicy: 'Background', signal });
          collectionDeleted = true;
        } catch (e) {
          if (!isUnsupported(e)) throw e;
        }
      }
      if (!collectionDeleted && canList) {
        const items = await this.listOrNothing(r, namespace, signal);
        for (const item of items ?? []) {
          try {
            await client.delete(r, item.metadata.name!, { namespace, propagationPolicy: 'Background', signal });
          } catch (e) {
            if (!isUnsupported(e)) throw e;
          }
        }
      }
      if (!canList) return { estimateSeconds: estimate, ...none };
      const remaining = await this.listOrNothing(r, namespace, signal);
      if (!remaining) return { estimateSeconds: estimate, ...none };
      const judged = judgeRemaining(remaining, estimate);
      const out = { estimateSeconds: judged.estimateSeconds, numRemaining: judged.numRemaining, finalizers: judged.finalizers };
      if (judged.unexpected) return { ...out, error: new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${gvrString(r)}`) };
      return out;
    } catch (e) {
      return { estimateSeconds: estimate, ...none, error: e as Error };
    }
  }

  /** Lists the resource in the namespace; undefined when the server does not support listing it. */
  private async listOrNothing(r: ResourceRef, namespace: string, signal?: AbortSignal): Promise<ApiObject[] | undefined> {
    try {
      return (await this.opts.client.list<ApiObject>(r, { namespace, signal })).items;
    } catch (e) {
      if (isUnsupported(e)) return undefined;
      throw e;
    }
  }

  /** Runs `fn`; on 409 Conflict re-reads the namespace and tries again (its UID must not change). */
  private async retryOnConflict(ns: Namespace, fn: (cur: Namespace) => Promise<Namespace>): Promise<Namespace> {
    let cur = ns;
    for (;;) {
      try {
        return await fn(cur);
      } catch (e) {
        if (!isConflict(e)) throw e;
        const latest = await this.opts.client.get<Namespace>(namespacesResource, cur.metadata!.name!);
        if (latest.metadata?.uid !== cur.metadata?.uid) throw new StatusError(409, 'Conflict', 'namespace uid has changed across retries');
        cur = latest;
      }
    }
  }
}
