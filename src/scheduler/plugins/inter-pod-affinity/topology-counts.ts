/**
 * Counts per topology pair (a node label `key=value`), as InterPodAffinity's PreFilter keeps them
 * (upstream's topologyToMatchedTermCount in
 * pkg/scheduler/framework/plugins/interpodaffinity/filtering.go). Kept as topology key → value →
 * count, so a node is checked by looking up its value for each counted key, usually one or two,
 * rather than by walking all of its labels.
 */
import type { Labels } from '../../../api/labels.js';

export class TopologyCounts {
  private readonly byKey = new Map<string, Map<string, number>>();

  /** Adds `delta` to the pair; a pair whose count returns to 0 is dropped, so isEmpty() stays exact. */
  add(key: string, value: string, delta: number): void {
    let values = this.byKey.get(key);
    if (!values) this.byKey.set(key, (values = new Map()));
    const v = (values.get(value) ?? 0) + delta;
    if (v !== 0) values.set(value, v);
    else {
      values.delete(value);
      if (values.size === 0) this.byKey.delete(key);
    }
  }

  /** Adds `delta` to the pair of `topologyKey` on a node with these labels; nothing when it lacks the key. */
  addForNode(labels: Labels | undefined, topologyKey: string, delta: number): void {
    if (labels && Object.hasOwn(labels, topologyKey)) this.add(topologyKey, labels[topologyKey]!, delta);
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  /** The count of the node's pair for `topologyKey` (0 when the node lacks the key). */
  forNode(labels: Labels, topologyKey: string): number {
    return Object.hasOwn(labels, topologyKey) ? this.get(topologyKey, labels[topologyKey]!) : 0;
  }

  /** True when one of the node's label pairs has a positive count. */
  anyPositiveForNode(labels: Labels): boolean {
    for (const [key, values] of this.byKey) if (Object.hasOwn(labels, key) && (values.get(labels[key]!) ?? 0) > 0) return true;
    return false;
  }

  /** No pair has a non-zero count. */
  isEmpty(): boolean {
    return this.byKey.size === 0;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [key, values] of this.byKey) c.byKey.set(key, new Map(values));
    return c;
  }
}
