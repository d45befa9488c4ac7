/**
 * A range of numbered items (service IPs, node ports) whose allocation is a bitmap kept in
 * storage under one key, written with compare-and-swap so that several API servers sharing a
 * store never hand out the same item twice (upstream's RangeAllocation objects under
 * `/registry/ranges/`). Offsets are 0..size-1; callers map them to IPs or ports.
 *
 * Dynamic allocation prefers the upper part of the range and leaves the lower "static band" to
 * explicit requests (as upstream's allocators since the static-subrange features), then falls
 * back to the band when the upper part is full.
 */
import { randomInt } from 'node:crypto';
import { StorageError, type KeyValue, type Store } from '../../storage/store.js';

export class RangeFullError extends Error {
  constructor() {
    super('range is full');
  }
}

export class AlreadyAllocatedError extends Error {}

interface StoredBitmap {
  apiVersion: 'v1';
  kind: 'RangeAllocation';
  range: string;
  /** The bitmap, base64; bit i of byte i>>3 is offset i. */
  data: string;
}

export interface StoredRangeOptions {
  store: Store;
  key: string;
  /** How many items the range has. */
  size: number;
  /** The range in words (a CIDR or `30000-32767`), stored beside the bitmap. */
  range: string;
  /** Offsets [0, staticBand) are left to explicit requests while the rest has room. */
  staticBand: number;
  /** Random offset source, replaceable in tests. */
  random?: (maxExclusive: number) => number;
}

const maxAttempts = 32;

export class StoredRange {
  private readonly random: (n: number) => number;

  constructor(private readonly o: StoredRangeOptions) {
    this.random = o.random ?? ((n) => randomInt(n));
  }

  get size(): number {
    return this.o.size;
  }

  /** The stored bitmap (a copy) and the revision it was read at; an empty one when nothing is stored yet. */
  async read(): Promise<{ bits: Uint8Array; kv?: KeyValue }> {
    const kv = await this.o.store.get(this.o.key);
    if (!kv) return { bits: new Uint8Array(Math.ceil(this.o.size / 8)) };
    const stored = JSON.parse(kv.value) as StoredBitmap;
    const bits = new Uint8Array(Math.ceil(this.o.size / 8));
    bits.set(Buffer.from(stored.data, 'base64').subarray(0, bits.length));
    return { bits, kv };
  }

  /** Reserves `offset`; throws AlreadyAllocatedError when it is taken. With dryRun only checks. */
  async allocate(offset: number, dryRun = false): Promise<void> {
    await this.change((bits) => {
      if (isSet(bits, offset)) throw new AlreadyAllocatedError();
      if (dryRun) return false;
      setBit(bits, offset, true);
      return true;
    });
  }

  /** Reserves a free offset and returns it; throws RangeFullError when none is left. */
  async allocateNext(dryRun = false): Promise<number> {
    let picked = -1;
    await this.change((bits) => {
      picked = pickFree(bits, this.o.size, this.o.staticBand, this.random);
      if (picked < 0) throw new RangeFullError();
      if (dryRun) return false;
      setBit(bits, picked, true);
      return true;
    });
    return picked;
  }

  /** Frees `offset` (a no-op when it is free). */
  async release(offset: number): Promise<void> {
    await this.change((bits) => {
      if (!isSet(bits, offset)) return false;
      setBit(bits, offset, false);
      return true;
    });
  }

  /** Replaces the bitmap, if it is still at `revision` (the repair loop). False on a concurrent change. */
  async replace(bits: Uint8Array, revision: number | undefined): Promise<boolean> {
    try {
      await this.write(bits, revision);
      return true;
    } catch (e) {
      if (e instanceof StorageError && (e.code === 'Conflict' || e.code === 'KeyExists' || e.code === 'KeyNotFound')) return false;
      throw e;
    }
  }

  /** Read, modify, write-if-unchanged; `mutate` returns false when there is nothing to write. */
  private async change(mutate: (bits: Uint8Array) => boolean): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const { bits, kv } = await this.read();
      if (!mutate(bits)) return;
      if (await this.replace(bits, kv?.modRevision)) return;
    }
    throw new Error(`too many concurrent changes to ${this.o.key}`);
  }

  private async write(bits: Uint8Array, revision: number | undefined): Promise<void> {
    const value: StoredBitmap = { apiVersion: 'v1', kind: 'RangeAllocation', range: this.o.range, data: Buffer.from(bits).toString('base64') };
    const text = JSON.stringify(value);
    if (revision === undefined) await this.o.store.create(this.o.key, text);
    else await this.o.store.update(this.o.key, text, revision);
  }
}

export const isSet = (bits: Uint8Array, i: number): boolean => (bits[i >> 3] & (1 << (i & 7))) !== 0;

export function setBit(bits: Uint8Array, i: number, on: boolean): void {
  if (on) bits[i >> 3] |= 1 << (i & 7);
  else bits[i >> 3] &= ~(1 << (i & 7));
}

/**
 * A free offset: a random start in the upper part [band, size), scanning forward with wrap-around
 * inside that part, then the same in [0, band). -1 when everything is taken.
 */
export function pickFree(bits: Uint8Array, size: number, band: number, random: (n: number) => number): number {
  const scan = (lo: number, hi: number): number => {
    const n = hi - lo;
    if (n <= 0) return -1;
    const start = random(n);
    for (let k = 0; k < n; k++) {
      const i = lo + ((start + k) % n);
      if (!isSet(bits, i)) return i;
    }
    return -1;
  };
  const b = Math.min(Math.max(band, 0), size);
  const upper = scan(b, size);
  return upper >= 0 ? upper : scan(0, b);
}
