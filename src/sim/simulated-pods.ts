/**
 * The pod side of the simulated kubelets: ONE informer over every bound pod
 * (`spec.nodeName!=`), filtered client-side by the simulated node names (thousands of per-node
 * watches would cost the server far more), feeding a workqueue of pod keys. A worker applies
 * `decidePod` and writes the result: the status through `pods/status` (a merge patch carrying
 * the resourceVersion it was computed from, so a stale decision fails with 409 and is redone),
 * then, for a stopped pod, the final delete with grace 0. Timed transitions come back through
 * the queue's delayed adds.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/api-client.js';
import type { Clock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import { listWatcherFor } from '../client/list-watch.js';
import { objectKey, splitKey } from '../client/resource-path.js';
import { Workqueue } from '../client/workqueue.js';
import type { Logger } from '../util/logger.js';
import type { SimNodeHost } from './node-fleet.js';
import { PodIpAllocator } from './pod-ip-allocator.js';
import { decidePod } from './pod-status.js';
import { type PodObject, podsRef } from './resources.js';
import type { WriteLimiter } from './write-limiter.js';

const nodeIndex = 'node';

export interface SimulatedPodsOptions {
  clock: Clock;
  limiter: WriteLimiter;
  readyAfterMs: number;
  runSecondsAnnotation: string;
  workers: number;
  logger?: Logger;
}

export class SimulatedPods {
  readonly informer: Informer<PodObject>;
  readonly queue: Workqueue<string>;
  private readonly ips = new PodIpAllocator();

  constructor(
    private readonly client: ApiClient,
    private readonly host: SimNodeHost,
    private readonly opts: SimulatedPodsOptions,
  ) {
    this.informer = new Informer<PodObject>(listWatcherFor<PodObject>(client, podsRef, { fieldSelector: 'spec.nodeName!=' }), {
      name: 'sim-pods',
      clock: opts.clock,
      logger: opts.logger,
      indexers: { [nodeIndex]: (p) => [p.spec?.nodeName ?? ''] },
    });
    this.queue = new Workqueue<string>({ clock: opts.clock });
    this.informer.addEventHandler({
      onAdd: (pod) => this.observe(pod),
      onUpdate: (_, pod) => this.observe(pod),
      onDelete: (pod) => this.ips.release(objectKey(pod)),
    });
  }

  /** Runs the informer and the workers until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const informer = this.informer.start(signal);
    const onAbort = () => this.queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (await this.informer.waitForSync(signal)) {
        await Promise.all(Array.from({ length: Math.max(1, this.opts.workers) }, () => this.worker(signal)));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.queue.shutDown();
      await informer;
    }
  }

  waitForSync(signal: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  /** Queues every pod on `nodeName` (its kubelet came back). */
  resyncNode(nodeName: string): void {
    for (const pod of this.informer.byIndex(nodeIndex, nodeName)) this.queue.add(objectKey(pod));
  }

  private observe(pod: Pod): void {
    const node = this.host.nodeFor(pod.spec?.nodeName ?? '');
    if (!node) return;
    const key = objectKey(pod);
    if (pod.status?.podIP && !pod.spec?.hostNetwork) this.ips.reserve(node.index, key, pod.status.podIP);
    this.queue.add(key);
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key, signal);
        this.queue.forget(key);
      } catch (e) {
        if (!signal.aborted) {
          const conflict = isStatusError(e) && e.code === 409;
          this.opts.logger?.[conflict ? 'debug' : 'warn']('simulated pod sync failed, requeuing', { pod: key, error: (e as Error).message });
          this.queue.addRateLimited(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async sync(key: string, signal: AbortSignal): Promise<void> {
    const pod = this.informer.get(key);
    if (!pod) {
      this.ips.release(key);
      return;
    }
    const nodeName = pod.spec?.nodeName ?? '';
    const node = this.host.nodeFor(nodeName);
    if (!node || !this.host.isActive(nodeName)) return;
    const { namespace, name } = splitKey(key);
    const decision = decidePod(pod, {
      now: this.opts.clock.now(),
      hostIP: node.hostIP,
      allocatePodIP: () => this.ips.allocate(node.index, key),
      readyAfterMs: this.opts.readyAfterMs,
      runSecondsAnnotation: this.opts.runSecondsAnnotation,
    });
    try {
      if (decision.status) {
        const patch = { metadata: { resourceVersion: pod.metadata?.resourceVersion }, status: decision.status };
        await this.opts.limiter.run(() => this.client.patch(podsRef, name, patch, 'merge', { namespace, subresource: 'status', signal }));
      }
      if (decision.deleteNow) {
        const uid = pod.metadata?.uid;
        await this.opts.limiter.run(() => this.client.delete(podsRef, name, { namespace, gracePeriodSeconds: 0, preconditions: uid ? { uid } : undefined, signal }));
        this.ips.release(key);
      }
    } catch (e) {
      // Gone already (deleted meanwhile, or bound to another incarnation): nothing left to do.
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
    if (decision.recheckAfterMs !== undefined) this.queue.addAfter(key, decision.recheckAfterMs);
  }
}
