/**
 * Event expiry: kube-apiserver stores Events with a one-hour TTL (`--event-ttl`). Capstan's
 * stores have no TTLs, so a sweeper deletes Events whose last activity is older than the TTL.
 * It runs in the apiserver, the only component that touches storage, in small batches.
 */
import { StorageError, type Store } from '../storage/store.js';
import type { Logger } from '../util/logger.js';

interface EventTimes {
  metadata?: { creationTimestamp?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { lastObservedTime?: string } | null;
}

/** The last time anything happened to an event (what its TTL runs from). */
export function lastActivity(e: EventTimes): number {
  const times = [e.metadata?.creationTimestamp, e.lastTimestamp, e.eventTime, e.series?.lastObservedTime].filter((t): t is string => !!t).map((t) => Date.parse(t));
  return times.length ? Math.max(...times.filter((n) => !Number.isNaN(n))) : 0;
}

export interface EventSweeperOptions {
  store: Store;
  prefix: string;
  ttlMs: number;
  intervalMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** Deletes expired events once; returns how many. */
export async function sweepExpiredEvents(o: EventSweeperOptions): Promise<number> {
  const now = (o.now ?? Date.now)();
  let deleted = 0;
  let startAfter: string | undefined;
  for (;;) {
    const page = await o.store.list(o.prefix, { limit: 500, startAfter });
    for (const kv of page.items) {
      let e: EventTimes;
      try {
        e = JSON.parse(kv.value) as EventTimes;
      } catch {
        continue;
      }
      if (now - lastActivity(e) < o.ttlMs) continue;
      try {
        await o.store.delete(kv.key, kv.modRevision);
        deleted++;
      } catch (err) {
        // Changed or deleted meanwhile: its new last activity decides next time.
        if (!(err instanceof StorageError)) throw err;
      }
    }
    if (!page.more || page.items.length === 0) return deleted;
    startAfter = page.items[page.items.length - 1].key;
  }
}

/** Runs the sweeper every `intervalMs` (default 1 min) until stopped. */
export function startEventSweeper(o: EventSweeperOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpiredEvents(o)
      .then((n) => {
        if (n) o.logger?.debug('expired events deleted', { count: n });
      })
      .catch((err: unknown) => o.logger?.warn('event expiry failed', { error: String(err) }))
      .finally(() => (running = false));
  }, o.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
