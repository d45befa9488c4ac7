/**
 * Controller expectations (`pkg/controller/controller_utils.go` ControllerExpectations +
 * UIDTrackingControllerExpectations): after a controller creates or deletes pods it expects to
 * see those changes in its informer before it acts on the same key again, so a slow watch never
 * makes it create or delete twice. Expectations expire after 5 minutes in case an event is lost.
 */
import type { Clock } from '../client/clock.js';

interface Expectation {
  add: number;
  del: number;
  /** Pod keys whose deletion is still expected (a pod is counted once however it is observed). */
  deleting: Set<string>;
  setAt: number;
}

export const expectationsTimeoutMs = 5 * 60_000;

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly clock: Clock) {}

  /** True when the controller may act on `key`: nothing expected, all observed, or expired. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.setAt > expectationsTimeoutMs;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: 0, deleting: new Set(), setAt: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.items.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), setAt: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  /** A pod's deletion was seen (or will never happen); counted once per pod key. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.items.get(key);
    if (e?.deleting.delete(podKey)) e.del--;
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}
