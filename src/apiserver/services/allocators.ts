/**
 * The Service ClusterIP and NodePort allocators (upstream's pkg/registry/core/service/ipallocator
 * and portallocator, legacy bitmap flavour) on top of StoredRange, with upstream's error texts.
 * IPv4 only: an IPv4 range excludes its network and broadcast addresses.
 */
import { parseCIDR, parseIPv4 } from '../../api/strategies/cluster/util.js';
import type { Store } from '../../storage/store.js';
import { AlreadyAllocatedError, StoredRange } from './stored-range.js';

/** Why an explicit request failed (the text upstream puts into the field error). */
export class AllocationError extends Error {}

export const serviceIPsKey = '/registry/ranges/serviceips';
export const nodePortsKey = '/registry/ranges/servicenodeports';

export const defaultNodePortRange = '30000-32767';

/**
 * The default ClusterIP range for a network mode (DESIGN.md §2.7): in `bridge` mode ClusterIPs are
 * routed to the host from pod namespaces; in `host` mode they are 127/8 addresses, local without root.
 */
export function serviceCIDRForNetworkMode(mode: 'bridge' | 'host'): string {
  return mode === 'bridge' ? '10.43.0.0/16' : '127.10.0.0/16';
}

/** The range the stored ClusterIP allocations were made for, if any: kept across restarts unless a flag says otherwise. */
export async function storedServiceCIDR(store: Store): Promise<string | undefined> {
  const kv = await store.get(serviceIPsKey);
  if (!kv) return undefined;
  try {
    return (JSON.parse(kv.value) as { range?: string }).range;
  } catch {
    return undefined;
  }
}

const ipv4ToInt = (b: number[]): number => ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
const intToIPv4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Parses a service CIDR flag value; throws with the reason when it cannot serve as one. */
export function parseServiceCIDR(cidr: string): { base: number; size: number; text: string } {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  if (c.family !== 'IPv4') throw new Error(`service CIDR ${cidr}: only IPv4 service ranges are supported`);
  if (c.prefix < 12) throw new Error(`specified service CIDR ${cidr} is too large; for 32-bit addresses, the mask must be >= 12`);
  if (c.prefix > 30) throw new Error(`specified service CIDR ${cidr} is too small; it needs at least two usable addresses`);
  const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
  const network = (ipv4ToInt(c.bytes) & mask) >>> 0;
  return { base: network + 1, size: 2 ** (32 - c.prefix) - 2, text: `${intToIPv4(network)}/${c.prefix}` };
}

/** The first usable address of a service range: the `kubernetes` Service's ClusterIP. */
export function firstServiceIP(cidr: string): string {
  return intToIPv4(parseServiceCIDR(cidr).base);
}

export class ServiceIPAllocator {
  readonly cidr: string;
  private readonly base: number;
  private readonly range: StoredRange;

  constructor(store: Store, cidr: string, random?: (n: number) => number) {
    const r = parseServiceCIDR(cidr);
    this.cidr = r.text;
    this.base = r.base;
    this.range = new StoredRange({ store, key: serviceIPsKey, size: r.size, range: r.text, staticBand: Math.min(Math.max(16, Math.floor(r.size / 16)), 256), random });
  }

  /** The offset of `ip` in the range, or undefined when it lies outside. */
  offsetOf(ip: string): number | undefined {
    const b = parseIPv4(ip);
    if (!b) return undefined;
    const off = ipv4ToInt(b) - this.base;
    return off >= 0 && off < this.range.size ? off : undefined;
  }

  ipAt(offset: number): string {
    return intToIPv4(this.base + offset);
  }

  async allocate(ip: string, dryRun = false): Promise<void> {
    const off = this.offsetOf(ip);
    if (off === undefined) throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    try {
      await this.range.allocate(off, dryRun);
    } catch (e) {
      if (e instanceof AlreadyAllocatedError) throw new AllocationError('provided IP is already allocated');
      throw e;
    }
  }

  /** A free IP; throws RangeFullError when the range is exhausted. */
  async allocateNext(dryRun = false): Promise<string> {
    return this.ipAt(await this.range.allocateNext(dryRun));
  }

  async release(ip: string): Promise<void> {
    const off = this.offsetOf(ip);
    if (off !== undefined) await this.range.release(off);
  }

  get stored(): StoredRange {
    return this.range;
  }
}

/** Parses `--service-node-port-range` (`30000-32767`, or a single port). */
export function parsePortRange(text: string): { base: number; size: number; text: string } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`invalid port range ${JSON.stringify(text)}: expected FROM-TO`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) throw new Error(`invalid port range ${JSON.stringify(text)}`);
  return { base: from, size: to - from + 1, text: `${from}-${to}` };
}

export class NodePortAllocator {
  readonly rangeText: string;
  private readonly base: number;
  private readonly range: StoredRange;

  constructor(store: Store, rangeText: string, random?: (n: number) => number) {
    const r = parsePortRange(rangeText);
    this.rangeText = r.text;
    this.base = r.base;
    this.range = new StoredRange({ store, key: nodePortsKey, size: r.size, range: r.text, staticBand: Math.min(Math.max(16, Math.floor(r.size / 32)), 128), random });
  }

  offsetOf(port: number): number | undefined {
    const off = port - this.base;
    return Number.isInteger(off) && off >= 0 && off < this.range.size ? off : undefined;
  }

  portAt(offset: number): number {
    return this.base + offset;
  }

  async allocate(port: number, dryRun = false): Promise<void> {
    const off = this.offsetOf(port);
    if (off === undefined) throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.rangeText}`);
    try {
      await this.range.allocate(off, dryRun);
    } catch (e) {
      if (e instanceof AlreadyAllocatedError) throw new AllocationError('provided port is already allocated');
      throw e;
    }
  }

  async allocateNext(dryRun = false): Promise<number> {
    return this.portAt(await this.range.allocateNext(dryRun));
  }

  async release(port: number): Promise<void> {
    const off = this.offsetOf(port);
    if (off !== undefined) await this.range.release(off);
  }

  get stored(): StoredRange {
    return this.range;
  }
}
