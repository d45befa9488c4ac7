/**
 * Keeps the stored ClusterIP and NodePort bitmaps true to the Services in storage (upstream's
 * ipallocator and portallocator repair controllers inside kube-apiserver): values used by a
 * Service but not marked are marked; values marked but used by no Service are released once they
 * have looked leaked on several passes in a row (an allocation whose Service is still being
 * written is not a leak). A bitmap made for another range (a changed flag) is rebuilt from the
 * Services. Runs once before the server serves and then every few minutes.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Store } from '../../storage/store.js';
import type { Logger } from '../../util/logger.js';
import type { NodePortAllocator, ServiceIPAllocator } from './allocators.js';
import { serviceClusterIPs, serviceNodePorts } from './service-allocations.js';
import { isSet, setBit, type StoredRange } from './stored-range.js';

/** Passes a value must look leaked on before it is released (upstream's numRepairsBeforeLeakCleanup). */
export const passesBeforeRelease = 3;
const defaultIntervalMs = 3 * 60_000;

export interface RepairPlan {
  bits: Uint8Array;
  /** Offsets marked now that were used but not marked. */
  marked: number[];
  /** Offsets released now. */
  released: number[];
  /** Offsets that look leaked, with how many passes they have looked so. */
  leaks: Map<number, number>;
  changed: boolean;
}

/**
 * The repaired bitmap (pure): `used` offsets are set; offsets set but unused are counted in
 * `leaks` and cleared once the count reaches passesBeforeRelease. With `rebuild` the stored bits
 * are ignored (they belong to another range).
 */
export function planRepair(stored: Uint8Array, used: Set<number>, size: number, prevLeaks: Map<number, number>, rebuild: boolean): RepairPlan {
  const bits = rebuild ? new Uint8Array(stored.length) : Uint8Array.from(stored);
  const marked: number[] = [];
  const released: number[] = [];
  const leaks = new Map<number, number>();
  for (const off of used) {
    if (off < 0 || off >= size || isSet(bits, off)) continue;
    setBit(bits, off, true);
    if (!rebuild) marked.push(off);
  }
  for (let off = 0; off < size; off++) {
    if (!isSet(bits, off) || used.has(off)) continue;
    const seen = (prevLeaks.get(off) ?? 0) + 1;
    if (seen >= passesBeforeRelease) {
      setBit(bits, off, false);
      released.push(off);
    } else leaks.set(off, seen);
  }
  return { bits, marked, released, leaks, changed: rebuild || marked.length > 0 || released.length > 0 };
}

export interface ServiceRangeRepairOptions {
  store: Store;
  /** Where Services are stored (`/registry/services/`). */
  servicesPrefix: string;
  ips: ServiceIPAllocator;
  ports: NodePortAllocator;
  logger: Logger;
  intervalMs?: number;
}

export class ServiceRangeRepair {
  private ipLeaks = new Map<number, number>();
  private portLeaks = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly o: ServiceRangeRepairOptions) {}

  prepare(): Promise<void> {
    return this.runOnce();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.runOnce().catch((e: Error) => this.o.logger.warn('service range repair failed', { error: e.message })).finally(() => (this.running = undefined));
    }, this.o.intervalMs ?? defaultIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over both ranges. */
  async runOnce(): Promise<void> {
    const { items } = await this.o.store.list(this.o.servicesPrefix);
    const services = items.map((kv) => JSON.parse(kv.value) as Service);
    const ipUsed = new Set<number>();
    const portUsed = new Set<number>();
    for (const svc of services) {
      const spec = svc.spec ?? {};
      for (const ip of serviceClusterIPs(spec)) {
        const off = this.o.ips.offsetOf(ip);
        if (off === undefined) this.o.logger.warn('Cluster IP is not within the configured service range; recreate the Service', { service: `${svc.metadata?.namespace}/${svc.metadata?.name}`, clusterIP: ip, range: this.o.ips.cidr });
        else ipUsed.add(off);
      }
      for (const port of serviceNodePorts(spec)) {
        const off = this.o.ports.offsetOf(port);
        if (off === undefined) this.o.logger.warn('Node port is not within the configured range; recreate the Service', { service: `${svc.metadata?.namespace}/${svc.metadata?.name}`, nodePort: port, range: this.o.ports.rangeText });
        else portUsed.add(off);
      }
    }
    this.ipLeaks = await this.repair('service IP', this.o.ips.stored, this.o.ips.cidr, ipUsed, this.ipLeaks, (o) => this.o.ips.ipAt(o));
    this.portLeaks = await this.repair('node port', this.o.ports.stored, this.o.ports.rangeText, portUsed, this.portLeaks, (o) => String(this.o.ports.portAt(o)));
  }

  private async repair(what: string, range: StoredRange, rangeText: string, used: Set<number>, leaks: Map<number, number>, show: (o: number) => string): Promise<Map<number, number>> {
    const { bits, kv } = await range.read();
    const storedRange = kv ? (JSON.parse(kv.value) as { range?: string }).range : rangeText;
    const rebuild = storedRange !== rangeText;
    if (rebuild) this.o.logger.info(`the ${what} range changed; rebuilding its allocations from the Services`, { from: storedRange, to: rangeText });
    const plan = planRepair(bits, used, range.size, leaks, rebuild);
    if (!plan.changed && kv) return plan.leaks;
    if (!(await range.replace(plan.bits, kv?.modRevision))) return leaks; // changed meanwhile: next pass
    for (const o of plan.marked) this.o.logger.warn(`${what} ${show(o)} was used by a Service but not allocated; marked`);
    for (const o of plan.released) this.o.logger.info(`${what} ${show(o)} was allocated but used by no Service; released`);
    return plan.leaks;
  }
}
