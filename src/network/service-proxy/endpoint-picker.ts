/**
 * Which endpoint a new connection or UDP session of one Service port goes to: round-robin over
 * the usable endpoints, with `sessionAffinity: ClientIP` pinning a client address to the endpoint
 * it last used until `affinitySeconds` pass without a new connection (the iptables proxier's
 * `recent` match is refreshed the same way). Time is passed in, so it is pure to test.
 */
import { endpointKey, type ProxyEndpoint } from './proxy-rules.js';

interface Pin {
  key: string;
  expiresAt: number;
}

export class EndpointPicker {
  private next = 0;
  private readonly pins = new Map<string, Pin>();

  /**
   * The endpoint for a new flow from `clientIP`, or undefined when `usable` is empty or every
   * usable endpoint is in `exclude` (ones that already refused this flow).
   */
  pick(usable: readonly ProxyEndpoint[], clientIP: string, nowMs: number, affinitySeconds?: number, exclude?: ReadonlySet<string>): ProxyEndpoint | undefined {
    const open = exclude?.size ? usable.filter((e) => !exclude.has(endpointKey(e))) : usable;
    if (!open.length) return undefined;
    if (affinitySeconds !== undefined) {
      const pin = this.pins.get(clientIP);
      const pinned = pin && pin.expiresAt > nowMs ? open.find((e) => endpointKey(e) === pin.key) : undefined;
      const chosen = pinned ?? this.roundRobin(open);
      this.pins.set(clientIP, { key: endpointKey(chosen), expiresAt: nowMs + affinitySeconds * 1000 });
      if (this.pins.size > 4096) this.forgetExpired(nowMs);
      return chosen;
    }
    return this.roundRobin(open);
  }

  /** Drops expired pins (also done as the table grows). */
  forgetExpired(nowMs: number): void {
    for (const [ip, pin] of this.pins) if (pin.expiresAt <= nowMs) this.pins.delete(ip);
  }

  private roundRobin(open: readonly ProxyEndpoint[]): ProxyEndpoint {
    const chosen = open[this.next % open.length]!;
    this.next = (this.next + 1) % 1_000_000_007;
    return chosen;
  }
}
