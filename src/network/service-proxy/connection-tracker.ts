/**
 * The open flows (TCP connections, UDP sessions) of every Service port, by endpoint, so that the
 * flows to an endpoint removed from the EndpointSlices can be closed while those to endpoints that
 * are merely terminating keep going (graceful draining).
 */
export interface TrackedFlow {
  /** Ends the flow at once. */
  close(): void;
}

export class ConnectionTracker {
  private readonly flows = new Map<string, Map<string, Set<TrackedFlow>>>();

  /** Registers a flow of `ruleId` to `endpoint`; returns the function that forgets it. */
  add(ruleId: string, endpoint: string, flow: TrackedFlow): () => void {
    let byEp = this.flows.get(ruleId);
    if (!byEp) this.flows.set(ruleId, (byEp = new Map()));
    let set = byEp.get(endpoint);
    if (!set) byEp.set(endpoint, (set = new Set()));
    set.add(flow);
    return () => {
      set.delete(flow);
      if (!set.size && byEp.get(endpoint) === set) byEp.delete(endpoint);
      if (!byEp.size && this.flows.get(ruleId) === byEp) this.flows.delete(ruleId);
    };
  }

  count(ruleId: string, endpoint?: string): number {
    const byEp = this.flows.get(ruleId);
    if (!byEp) return 0;
    if (endpoint !== undefined) return byEp.get(endpoint)?.size ?? 0;
    let n = 0;
    for (const s of byEp.values()) n += s.size;
    return n;
  }

  /** Closes the flows of `ruleId` whose endpoint is not in `keep`; returns how many. */
  closeExcept(ruleId: string, keep: ReadonlySet<string>): number {
    const byEp = this.flows.get(ruleId);
    if (!byEp) return 0;
    let n = 0;
    for (const [ep, set] of [...byEp]) {
      if (keep.has(ep)) continue;
      for (const f of [...set]) {
        f.close();
        n++;
      }
      byEp.delete(ep);
    }
    if (!byEp.size) this.flows.delete(ruleId);
    return n;
  }

  /** The Service ports that have flows. */
  rules(): string[] {
    return [...this.flows.keys()];
  }
}
