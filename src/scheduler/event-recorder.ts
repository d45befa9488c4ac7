/**
 * Writes core/v1 Events about pods for the scheduler (client-go tools/record): `FailedScheduling`,
 * `Scheduled`, `Preempted`. A repeat of the same (object, type, reason, message) within the recent
 * window increments the existing Event's `count` instead of creating another (the event
 * correlator's aggregation). Writes are asynchronous and bounded: the scheduling loop never waits
 * for them, and under a flood the excess is dropped rather than queued without limit.
 */
import { hostname } from 'node:os';
import type { Event, ObjectReference, Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/api-client.js';
import { type Clock, realClock } from '../client/clock.js';
import type { Logger } from '../util/logger.js';
import type { ResourceRef } from '../client/resource-path.js';
import { builtinRefs } from '../client/builtin-refs.js';

export const eventsResource: ResourceRef = builtinRefs.events;

export type EventType = 'Normal' | 'Warning';

/** Where recorded events go; the scheduler core only sees this. */
export interface EventSink {
  event(pod: Pod, type: EventType, reason: string, action: string, message: string): void;
}

export interface EventRecorderOptions {
  component?: string;
  clock?: Clock;
  logger?: Logger;
  /** Writes in flight at most; more are dropped (default 500). */
  maxPending?: number;
  /** Remembered (object, reason, message) keys for aggregation (default 4096). */
  cacheSize?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

export class EventRecorder implements EventSink {
  private readonly component: string;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private pending = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: ApiClient,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.component = opts.component ?? 'default-scheduler';
    this.instance = `${this.component}-${hostname()}`;
    this.clock = opts.clock ?? realClock;
  }

  event(pod: Pod, type: EventType, reason: string, action: string, message: string): void {
    if (this.pending >= (this.opts.maxPending ?? 500)) {
      this.opts.logger?.debug('dropping event: too many in flight', { reason, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
      return;
    }
    this.pending++;
    const p = this.write(pod, type, reason, action, message)
      .catch((e) => this.opts.logger?.warn('writing event failed', { reason, error: (e as Error).message }))
      .finally(() => {
        this.pending--;
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  /** Resolves once every write started so far has finished. */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async write(pod: Pod, type: EventType, reason: string, action: string, message: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const key = `${pod.metadata?.uid ?? `${ns}/${pod.metadata?.name}`}\u0000${type}\u0000${reason}\u0000${message}`;
    const nowMs = this.clock.now();
    const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prev = this.seen.get(key);
    if (prev) {
      prev.count++;
      this.touch(key, prev);
      try {
        await this.client.patch(eventsResource, prev.name, { count: prev.count, lastTimestamp: now }, 'merge', { namespace: prev.namespace });
        return;
      } catch (e) {
        if (!isStatusError(e) || e.code !== 404) throw e;
        // The event expired or was deleted: start a new one.
      }
    }
    const involvedObject: ObjectReference = {
      kind: 'Pod',
      apiVersion: 'v1',
      namespace: ns,
      name: pod.metadata?.name,
      uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
    };
    const name = `${pod.metadata?.name}.${(BigInt(nowMs) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    const ev: Event & { apiVersion: string; kind: string } = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject,
      reason,
      message,
      type,
      action,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
    await this.client.create(eventsResource, ev as never, { namespace: ns });
    this.touch(key, { name, namespace: ns, count: 1, firstTimestamp: now });
  }

  private touch(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    const max = this.opts.cacheSize ?? 4096;
    while (this.seen.size > max) this.seen.delete(this.seen.keys().next().value!);
  }
}
