/**
 * The namespace controller (`pkg/controller/namespace/namespace_controller.go`): watches
 * Namespaces; each one with a deletionTimestamp is queued (after a short grace period) and emptied
 * by the NamespacedResourcesDeleter until its `kubernetes` finalizer can be released.
 */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { Clock } from '../../client/clock.js';
import { serverPreferredResources } from '../../client/discovery.js';
import { Informer } from '../../client/informer.js';
import { listWatcherFor } from '../../client/list-watch.js';
import { ItemExponentialFailureRateLimiter } from '../../client/rate-limiter.js';
import type { Logger } from '../../util/logger.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { NamespacedResourcesDeleter, namespacesResource } from './namespaced-resources-deleter.js';

export interface NamespaceControllerOptions {
  client: ApiClient;
  logger?: Logger;
  /** Concurrent namespace syncs (kube-controller-manager's --concurrent-namespace-syncs, default 10). */
  workers?: number;
  /**
   * Delay before acting on a namespace event, so that creations racing with the deletion land
   * before the content is listed (upstream namespaceDeletionGracePeriod, 5 s).
   */
  deletionGracePeriodMs?: number;
  /** Informer resync (upstream 5 min). */
  resyncPeriodMs?: number;
  clock?: Clock;
  /** A shared namespaces informer to use instead of a private one (the controller manager's). */
  informer?: Informer<ApiObject>;
}

export class NamespaceController {
  readonly informer: Informer<ApiObject>;
  readonly controller: Controller;
  private readonly deleter: NamespacedResourcesDeleter;
  private readonly gracePeriodMs: number;

  constructor(opts: NamespaceControllerOptions) {
    const logger = opts.logger;
    this.gracePeriodMs = opts.deletionGracePeriodMs ?? 5000;
    this.informer = opts.informer ?? new Informer(listWatcherFor(opts.client, namespacesResource), {
      name: 'namespaces',
      resyncPeriodMs: opts.resyncPeriodMs ?? 5 * 60_000,
      clock: opts.clock,
      logger,
    });
    this.deleter = new NamespacedResourcesDeleter({
      client: opts.client,
      discover: (signal) => serverPreferredResources(opts.client, signal),
      now: opts.clock ? () => opts.clock!.now() : undefined,
      logger,
    });
    this.controller = new Controller({
      name: 'namespace',
      informers: [this.informer],
      workers: opts.workers ?? 10,
      clock: opts.clock,
      // Upstream's namespace queue: per-item 5 ms → 60 s, no overall bucket.
      rateLimiter: new ItemExponentialFailureRateLimiter<string>(5, 60_000),
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger,
    });
    const enqueue = (obj: ApiObject) => {
      if (obj.metadata.deletionTimestamp) this.controller.enqueueAfter(obj, this.gracePeriodMs);
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, obj) => enqueue(obj) });
  }

  /** Runs until `signal` aborts. */
  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const cached = this.informer.get(key) as Namespace | undefined;
    if (!cached?.metadata?.deletionTimestamp) return;
    return this.deleter.delete(key, signal);
  }
}

/** Starts the namespace controller on `client`; resolves when `signal` aborts and it has stopped. */
export function startNamespaceController(client: ApiClient, signal: AbortSignal, logger?: Logger): Promise<void> {
  return new NamespaceController({ client, logger: logger?.child('namespace-controller') }).start(signal);
}

/** The controller manager's entry: the namespace controller on the shared namespaces informer. */
export function createNamespaceController(ctx: ControllerContext): RunnableController {
  return new NamespaceController({ client: ctx.client, logger: ctx.logger, clock: ctx.clock, informer: ctx.informers.informerFor<ApiObject>(namespacesResource) });
}
