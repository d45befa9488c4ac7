/**
 * One informer per resource, shared by every controller in a process (client-go
 * `informers/factory.go` + `dynamicinformer`): a controller asks for the informer of a resource;
 * the first request creates it, later ones get the same object, so N controllers watching pods
 * cost one list/watch.
 *
 * Contract:
 * - `informerFor` may be called before or after `start`; informers requested after `start` are
 *   started at once on the same signal (client-go needs a second Start call; forgetting it is a
 *   classic bug, so we do it).
 * - Every informer's cache carries the `namespace` index (`namespaceIndex` from cache.ts).
 * - `start(signal)` resolves once `signal` has aborted and every informer has stopped.
 */
import type { ApiObject } from '../api/object.js';
import type { Logger } from '../util/logger.js';
import type { ApiClient } from './api-client.js';
import { byNamespace, namespaceIndex } from './cache.js';
import type { Clock } from './clock.js';
import { Informer } from './informer.js';
import { listWatcherFor } from './list-watch.js';
import type { ResourceRef } from './resource-path.js';

export interface SharedInformerFactoryOptions {
  clock?: Clock;
  logger?: Logger;
  /** Resync period of every informer (0: never, the default). */
  resyncPeriodMs?: number;
}

const refKey = (r: ResourceRef): string => `${r.group}/${r.version}/${r.plural}`;

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<ApiObject>>();
  private readonly running: Promise<void>[] = [];
  private signal?: AbortSignal;

  constructor(
    readonly client: ApiClient,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {}

  /** The shared informer of `ref` (all namespaces), created on first request. */
  informerFor<T extends ApiObject = ApiObject>(ref: ResourceRef): Informer<T> {
    const key = refKey(ref);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<ApiObject>(listWatcherFor(this.client, ref), {
        name: ref.group ? `${ref.plural}.${ref.group}` : ref.plural,
        indexers: { [namespaceIndex]: byNamespace },
        resyncPeriodMs: this.opts.resyncPeriodMs ?? 0,
        clock: this.opts.clock,
        logger: this.opts.logger,
      });
      this.informers.set(key, inf);
      if (this.signal && !this.signal.aborted) this.running.push(inf.start(this.signal));
    }
    return inf as unknown as Informer<T>;
  }

  /** The resources that have an informer so far. */
  resources(): string[] {
    return [...this.informers.keys()];
  }

  /** Starts every informer (and any requested later); resolves when `signal` aborts and all have stopped. */
  async start(signal: AbortSignal): Promise<void> {
    if (!this.signal) {
      this.signal = signal;
      for (const inf of this.informers.values()) this.running.push(inf.start(signal));
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // Informers added while stopping are in `running` too.
    for (let i = 0; i < this.running.length; i++) await this.running[i];
  }

  /** Resolves true once every informer requested so far has synced, false if `signal` aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }
}
