/**
 * An overlay of assumed objects over an informer's view (after
 * pkg/scheduler/util/assumecache): Reserve assumes the PV claimRefs and claim annotations that
 * PreBind will write, so the next scheduling cycles see them before the API does. An assumption
 * holds while the informer still shows the version it was made from; once the informer shows
 * another version (the write, or someone else's), the informer's object wins.
 */
interface Versioned {
  metadata?: { resourceVersion?: string };
}

export class AssumeCache<T extends Versioned> {
  private readonly assumed = new Map<string, { obj: T; baseVersion: string | undefined }>();

  constructor(private readonly read: (key: string) => T | undefined) {}

  /** The assumed object while it is current, else the informer's. */
  get(key: string): T | undefined {
    const latest = this.read(key);
    const a = this.assumed.get(key);
    if (!a) return latest;
    if (latest && latest.metadata?.resourceVersion !== a.baseVersion) {
      this.assumed.delete(key);
      return latest;
    }
    return a.obj;
  }

  /** The informer's object, ignoring assumptions (what PreBind waits on). */
  getAPIObject(key: string): T | undefined {
    return this.read(key);
  }

  /** Assumes `obj`, made from the version the informer holds now. */
  assume(key: string, obj: T): void {
    this.assumed.set(key, { obj, baseVersion: this.read(key)?.metadata?.resourceVersion });
  }

  /** Drops an assumption (Unreserve). */
  restore(key: string): void {
    this.assumed.delete(key);
  }

  /** Overlays assumptions on a list from the informer. */
  overlay(list: readonly T[], keyOf: (o: T) => string): T[] {
    return list.map((o) => this.get(keyOf(o)) ?? o);
  }
}

/** True when resourceVersion `a` is older than `b` (both decimal revisions, as storage makes them). */
export function olderVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
