/**
 * Recording core/v1 Events about objects (client-go `tools/record/event.go` + `events_cache.go`).
 *
 * Contract:
 * - `event(obj, type, reason, message)` never blocks and never throws: writes are queued and made
 *   in order in the background; failures are logged and dropped, as upstream's sink does after its
 *   retries.
 * - An identical event (same source, involved object, type, reason and message) recorded again
 *   within `dedupeWindowMs` of the last one increments `count` and moves `lastTimestamp` on the
 *   existing Event with a strategic-merge PATCH (the EventCorrelator's "EventLogger" path) instead
 *   of creating a new Event. When that Event has gone (NotFound), a new one is created.
 * - Events about cluster-scoped objects go to the `default` namespace, as upstream.
 */
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import { type Clock, realClock } from '../client/clock.js';
import type { ResourceRef } from '../client/resource-path.js';
import type { Logger } from '../util/logger.js';
import { builtinRefs } from '../client/builtin-refs.js';

export type EventType = 'Normal' | 'Warning';

/** What controllers record events through. */
export interface EventRecorder {
  event(obj: ApiObject, type: EventType, reason: string, message: string): void;
}

export const eventsResource: ResourceRef = builtinRefs.events;

export interface ApiEventRecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `replicaset-controller`. */
  component: string;
  /** `source.host` and `reportingInstance`, when known. */
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** Repeats further apart than this start a new Event (upstream keeps its cache entries ~for ever; 10 min bounds growth). */
  dedupeWindowMs?: number;
  /** Entries kept in the dedupe cache (upstream's LRU holds 4096). */
  maxCacheEntries?: number;
}

/** The correlator's memory of one Event it wrote. */
interface CacheEntry {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeenMs: number;
}

/** RFC 3339 with seconds precision, as metav1.Time marshals. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The reference an Event carries to the object it is about (client-go `reference.GetReference`). */
export function objectReference(obj: ApiObject): ObjectReference {
  const ref: ObjectReference = { kind: obj.kind, name: obj.metadata.name, apiVersion: obj.apiVersion };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

/**
 * The key under which identical events are counted (upstream `getEventKey`: source, involved
 * object, type, reason, message; the resourceVersion is left out so updates of the object still
 * correlate).
 */
export function eventKey(component: string, host: string, ref: ObjectReference, type: string, reason: string, message: string): string {
  return JSON.stringify([component, host, ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion ?? '', type, reason, message]);
}

/** Writes Events through the API. */
export class ApiEventRecorder implements EventRecorder {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly clock: Clock;
  private tail: Promise<void> = Promise.resolve();
  private seq = 0;
  private closed = false;
  private readonly children: ApiEventRecorder[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly opts: ApiEventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
  }

  /** A recorder for another component sharing this one's client and options. */
  forComponent(component: string): ApiEventRecorder {
    const child = new ApiEventRecorder(this.client, { ...this.opts, component });
    this.children.push(child);
    return child;
  }

  event(obj: ApiObject, type: EventType, reason: string, originalMessage: string): void {
    if (this.closed) return;
    const now = this.clock.now();
    const ref = objectReference(obj);
    const host = this.opts.host ?? '';
    // client-go's EventCorrelator: similar events (same object and reason, other messages) are
    // combined into one after 10 within 10 minutes, and each object gets a burst of 25 events,
    // then one per 5 minutes (the spam filter).
    const { message, key } = this.aggregate(eventKey(this.opts.component, host, ref, type, reason, ''), eventKey(this.opts.component, host, ref, type, reason, originalMessage), originalMessage, now);
    if (!this.spamAllows(JSON.stringify([this.opts.component, host, ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion ?? '']), now)) return;
    this.opts.logger?.debug('event', { object: `${ref.namespace ? ref.namespace + '/' : ''}${ref.name}`, kind: ref.kind, type, reason, message });
    this.tail = this.tail.then(() => this.write(key, ref, type, reason, message, now)).catch((e: unknown) => {
      this.opts.logger?.warn('could not write event', { reason, object: ref.name, error: (e as Error).message });
    });
  }

  /** Resolves when every event recorded so far has been written (or dropped). */
  async flush(): Promise<void> {
    await Promise.all([this.tail, ...this.children.map((c) => c.flush())]);
  }

  /** Drops later events (of this recorder and those made by `forComponent`); resolves when the queued ones are written. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.tail, ...this.children.map((c) => c.close())]);
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string, now: number): Promise<void> {
    const ts = rfc3339(now);
    const window = this.opts.dedupeWindowMs ?? 10 * 60_000;
    const prior = this.cache.get(key);
    if (prior && now - prior.lastSeenMs <= window) {
      const count = prior.count + 1;
      try {
        await this.client.patch(eventsResource, prior.name, { count, lastTimestamp: ts, message }, 'strategic', { namespace: prior.namespace });
        this.remember(key, { ...prior, count, lastSeenMs: now });
        return;
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
        // The Event expired or was deleted: record it afresh.
      }
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: this.opts.host ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    await this.client.create(eventsResource, ev as unknown as ApiObject, { namespace });
    this.remember(key, { name, namespace, count: 1, firstTimestamp: ts, lastSeenMs: now });
  }

  private readonly similar = new Map<string, { messages: Set<string>; lastMs: number }>();
  private readonly buckets = new Map<string, { tokens: number; lastMs: number }>();

  /** EventAggregator: after 10 distinct messages for one object+reason, one combined event counts them all. */
  private aggregate(aggregateKey: string, exactKey: string, message: string, now: number): { message: string; key: string } {
    const interval = 600_000;
    let rec = this.similar.get(aggregateKey);
    if (!rec || now - rec.lastMs > interval) rec = { messages: new Set(), lastMs: now };
    rec.lastMs = now;
    rec.messages.add(message);
    this.similar.delete(aggregateKey);
    this.similar.set(aggregateKey, rec);
    while (this.similar.size > (this.opts.maxCacheEntries ?? 4096)) this.similar.delete(this.similar.keys().next().value as string);
    if (rec.messages.size < 10) return { message, key: exactKey };
    rec.messages.delete(rec.messages.values().next().value as string);
    return { message: `(combined from similar events): ${message}`, key: aggregateKey };
  }

  /** EventSourceObjectSpamFilter: a token bucket per source and object, burst 25, one token per 5 minutes. */
  private spamAllows(key: string, now: number): boolean {
    const burst = 25;
    const refillMs = 300_000;
    const b = this.buckets.get(key) ?? { tokens: burst, lastMs: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.lastMs) / refillMs);
    b.lastMs = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    while (this.buckets.size > (this.opts.maxCacheEntries ?? 4096)) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private remember(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    const max = this.opts.maxCacheEntries ?? 4096;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
  }
}

/** Keeps events in memory; for unit tests of controllers. */
export class FakeEventRecorder implements EventRecorder {
  readonly events: { object: string; type: EventType; reason: string; message: string }[] = [];
  event(obj: ApiObject, type: EventType, reason: string, message: string): void {
    const m = obj.metadata;
    this.events.push({ object: m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? ''), type, reason, message });
  }
}
