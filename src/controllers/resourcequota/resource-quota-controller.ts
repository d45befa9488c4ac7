/**
 * The resourcequota controller (kube-controller-manager's `resourcequota`): keeps each
 * ResourceQuota's status current — `hard` copied from the spec, `used` recounted from the objects
 * of its namespace through the quota evaluators (api/quota/calculate-usage.ts): pod compute
 * resources, Services and node ports, claims and storage (also per StorageClass), and object
 * counts of any served namespaced kind.
 *
 * Upstream's quota monitor watches every quotable kind; here a kind is watched from the first time
 * a quota names it (through the shared informers, so a kind other controllers watch costs
 * nothing more), resolved by API discovery (repeated at most every 30 s while a named kind is
 * unknown). A quota is recounted when it changes, when an object of a kind it counts is created or
 * deleted in its namespace or changes what it uses, and every five minutes; not before every kind
 * it counts has been listed. A named kind the API does not serve keeps its previous usage.
 */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { GroupResource } from '../../api/errors.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { quotaKinds, quotaStatus } from '../../api/quota/calculate-usage.js';
import { evaluatorFor, isQuotable } from '../../api/quota/registry.js';
import { equalLists, readList } from '../../api/quota/resource-list.js';
import { type DiscoveredResource, flattenResources, serverPreferredResources } from '../../client/discovery.js';
import type { Informer } from '../../client/informer.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';

const quotasRef = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true } as const;
const resyncMs = 5 * 60_000;
const rediscoveryMs = 30_000;

const kindKey = (gr: GroupResource): string => `${gr.group}/${gr.resource}`;

export class ResourceQuotaController implements RunnableController {
  readonly controller: Controller;
  private readonly quotas: Informer<ApiObject>;
  /** The informers of the kinds some quota counts, by `group/resource`. */
  private readonly watched = new Map<string, Informer<ApiObject>>();
  /** The served resources of the last discovery, by `group/resource`. */
  private served = new Map<string, DiscoveredResource>();
  private discoveredAt = -Infinity;
  /** `kind|quota key` pairs waiting for the kind's informer to sync. */
  private readonly waiting = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.quotas = ctx.informers.informerFor(quotasRef);
    this.controller = new Controller({ name: 'resourcequota', informers: [this.quotas], clock: ctx.clock, logger: ctx.logger, reconcile: (key, signal) => this.sync(key, signal) });
    this.quotas.addEventHandler({ onAdd: (q) => this.controller.enqueue(q), onUpdate: (_o, q) => this.controller.enqueue(q) });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private enqueueNamespace(ns: string): void {
    for (const q of this.quotas.byIndex('namespace', ns)) this.controller.enqueue(q);
  }

  /** Watches a kind for quota: creations and deletions recount its namespace's quotas, and updates that change its usage. */
  private watch(gr: GroupResource, r: DiscoveredResource): void {
    const ev = evaluatorFor(gr);
    if (!ev) return;
    const inf = this.ctx.informers.informerFor({ group: r.group, version: r.version, plural: r.plural, namespaced: true });
    this.watched.set(kindKey(gr), inf);
    const onObject = (o: ApiObject) => this.enqueueNamespace(o.metadata.namespace ?? '');
    inf.addEventHandler({
      onAdd: onObject,
      onDelete: onObject,
      onUpdate: (old, cur) => {
        const now = this.ctx.clock.now();
        if (!equalLists(ev.usage(old, now), ev.usage(cur, now))) onObject(cur);
      },
    });
  }

  /** Makes sure every kind in `kinds` that the API serves is watched; rediscovers when one is unknown. */
  private async track(kinds: readonly GroupResource[], signal: AbortSignal): Promise<void> {
    const missing = kinds.filter((k) => !this.watched.has(kindKey(k)));
    if (!missing.length) return;
    const now = this.ctx.clock.now();
    if (missing.some((k) => !this.served.has(kindKey(k))) && now - this.discoveredAt >= rediscoveryMs) {
      this.discoveredAt = now;
      try {
        const { lists, error } = await serverPreferredResources(this.ctx.client, signal);
        if (error) this.ctx.logger.warn('partial discovery', { error: error.message });
        this.served = new Map(flattenResources(lists).filter(isQuotable).map((r) => [kindKey({ group: r.group, resource: r.plural }), r]));
      } catch (e) {
        if (!signal.aborted) this.ctx.logger.warn('discovery failed', { error: (e as Error).message });
      }
    }
    for (const k of missing) {
      const r = this.served.get(kindKey(k));
      if (r) this.watch(k, r);
    }
  }

  private recountOnSync(inf: Informer<ApiObject>, kind: string, key: string, signal: AbortSignal): void {
    const id = `${kind}|${key}`;
    if (this.waiting.has(id)) return;
    this.waiting.add(id);
    void inf.waitForSync(signal).then((ok) => {
      this.waiting.delete(id);
      if (ok) this.controller.enqueue(key);
    });
  }

  private async sync(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const rq = this.quotas.get(key) as unknown as ResourceQuota | undefined;
    if (!rq) return;
    const ns = rq.metadata?.namespace ?? '';
    await this.track(quotaKinds(rq), signal);
    let unknown = false;
    let syncing = false;
    const want = quotaStatus(
      rq,
      (gr) => {
        const inf = this.watched.get(kindKey(gr));
        if (inf?.hasSynced()) return inf.byIndex('namespace', ns);
        if (inf) {
          syncing = true;
          this.recountOnSync(inf, kindKey(gr), key, signal);
        } else unknown = true;
        return undefined;
      },
      this.ctx.clock.now(),
    );
    // A kind just started being watched: count once its informer has listed (it queues the quota).
    if (syncing) return;
    const same =
      equalLists(readList(want.hard), readList(rq.status?.hard as Record<string, unknown>)) && equalLists(readList(want.used), readList(rq.status?.used as Record<string, unknown>));
    if (!same) {
      try {
        await this.ctx.client.update(quotasRef, { ...(rq as unknown as ApiObject), status: want }, { subresource: 'status', signal });
      } catch (e) {
        // A write by admission in between: the informer brings the new version, which is queued again.
        if (!(isStatusError(e) && (e.code === 409 || e.code === 404))) throw e;
      }
    }
    // A kind not served (yet): look again once discovery may have news.
    return { requeueAfterMs: unknown ? rediscoveryMs : resyncMs };
  }
}

export function createResourceQuotaController(ctx: ControllerContext): RunnableController {
  return new ResourceQuotaController(ctx);
}
