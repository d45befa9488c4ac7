/**
 * The service proxy's data plane on one node: holds the current rules, routes each new flow of a
 * listener to an endpoint, closes flows to endpoints that left the slices, and keeps the set of
 * open listeners equal to the plan. Applying a plan only swaps in-memory tables, so endpoint
 * changes take effect for the next connection; sockets are opened and closed only as Service
 * ports come and go. A socket that cannot be bound is reported and retried every `bindRetryMs`.
 */
import { CoalescingRunner } from '../../util/coalescing-runner.js';
import type { Logger } from '../../util/logger.js';
import { ConnectionTracker } from './connection-tracker.js';
import { EndpointPicker } from './endpoint-picker.js';
import { endpointKey, type ListenerSpec, type ProxyPlan, type ServicePortRule, usableEndpoints } from './proxy-rules.js';
import { type Route, TcpProxy } from './tcp-proxy.js';
import { UdpProxy } from './udp-proxy.js';

export interface ProxierOptions {
  nodeName: string;
  logger: Logger;
  now?: () => number;
  /**
   * Makes `ip` local before a ClusterIP listener binds it. Host network mode needs nothing (all of
   * 127/8 is local); bridge mode adds the address to the loopback interface here.
   */
  ensureLocalAddress?: (ip: string) => void | Promise<void>;
  /** How often sockets that could not be bound are tried again (default 5 s). */
  bindRetryMs?: number;
  udpIdleMs?: number;
  /** Told once per listener and distinct error, e.g. to record a Warning Event on the Service. */
  onBindFailure?: (spec: ListenerSpec, rule: ServicePortRule | undefined, error: Error) => void;
}

type Listener = TcpProxy | UdpProxy;

export class Proxier {
  readonly tracker = new ConnectionTracker();
  private rules = new Map<string, ServicePortRule>();
  private specs = new Map<string, ListenerSpec>();
  private readonly listeners = new Map<string, Listener>();
  private readonly failures = new Map<string, string>();
  private readonly pickers = new Map<string, EndpointPicker>();
  private readonly warnedUnsupported = new Set<string>();
  private closed = false;
  private readonly runner: CoalescingRunner;
  private readonly now: () => number;

  constructor(private readonly opts: ProxierOptions) {
    this.now = opts.now ?? Date.now;
    this.runner = new CoalescingRunner(() => this.reconcile(), { retryMs: opts.bindRetryMs ?? 5000 });
  }

  /** Swaps in a new plan: routing changes at once, listeners follow asynchronously. */
  apply(plan: ProxyPlan): void {
    if (this.closed) return;
    for (const u of plan.unsupported) {
      if (this.warnedUnsupported.has(u)) continue;
      this.warnedUnsupported.add(u);
      this.opts.logger.warn('service port protocol not supported by the service proxy, skipping it', { servicePort: u });
    }
    this.rules = plan.rules;
    for (const id of this.tracker.rules()) {
      const keep = new Set((this.rules.get(id)?.endpoints ?? []).map(endpointKey));
      const n = this.tracker.closeExcept(id, keep);
      if (n) this.opts.logger.debug('closed connections to removed endpoints', { servicePort: id, connections: n });
    }
    for (const id of this.pickers.keys()) if (!this.rules.has(id)) this.pickers.delete(id);
    this.specs = new Map(plan.listeners.map((l) => [l.key, l]));
    this.runner.kick();
  }

  /** The endpoint for a new flow on listener `key`; undefined rejects it. */
  route(key: string, clientIP: string, exclude: ReadonlySet<string>): Route | undefined {
    const spec = this.specs.get(key);
    const rule = spec && this.rules.get(spec.ruleId);
    if (!spec || !rule) return undefined;
    let picker = this.pickers.get(rule.id);
    if (!picker) this.pickers.set(rule.id, (picker = new EndpointPicker()));
    const endpoint = picker.pick(usableEndpoints(rule, spec.scope, this.opts.nodeName), clientIP, this.now(), rule.affinitySeconds, exclude);
    return endpoint && { ruleId: rule.id, endpoint };
  }

  /** Keys of the listeners bound now. */
  openListeners(): string[] {
    return [...this.listeners.keys()];
  }

  /** Resolves once the listeners match the latest plan as far as binding allows. */
  async settled(): Promise<void> {
    await this.runner.settled();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.runner.close();
    await Promise.allSettled([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
  }

  private async reconcile(): Promise<void> {
    const stale = [...this.listeners].filter(([key]) => !this.specs.has(key));
    for (const [key, l] of stale) {
      this.listeners.delete(key);
      await l.close();
    }
    for (const key of this.failures.keys()) if (!this.specs.has(key)) this.failures.delete(key);
    for (const spec of this.specs.values()) {
      if (this.closed) return;
      if (this.listeners.has(spec.key)) continue;
      const l = this.newListener(spec);
      try {
        if (spec.kind === 'ClusterIP') await this.opts.ensureLocalAddress?.(spec.ip);
        await l.listen();
      } catch (e) {
        this.failed(spec, e as Error);
        continue;
      }
      if (this.closed || !this.specs.has(spec.key)) {
        await l.close();
        continue;
      }
      this.listeners.set(spec.key, l);
      if (this.failures.delete(spec.key)) this.opts.logger.info('service proxy listening after earlier failures', { listener: spec.key });
    }
    if (this.failures.size) this.runner.retryLater();
  }

  private failed(spec: ListenerSpec, error: Error): void {
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    if (this.failures.get(spec.key) === code) return;
    this.failures.set(spec.key, code);
    const rule = this.rules.get(spec.ruleId);
    const hint = code === 'EACCES' && spec.port < 1024 ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : '';
    this.opts.logger.warn(`service proxy cannot listen, will retry${hint}`, { listener: spec.key, kind: spec.kind, servicePort: spec.ruleId, error: code });
    this.opts.onBindFailure?.(spec, rule, error);
  }

  private newListener(spec: ListenerSpec): Listener {
    const route = (clientIP: string, exclude: ReadonlySet<string>) => this.route(spec.key, clientIP, exclude);
    return spec.protocol === 'UDP'
      ? new UdpProxy({ host: spec.ip, port: spec.port, route, tracker: this.tracker, idleMs: this.opts.udpIdleMs })
      : new TcpProxy({ host: spec.ip, port: spec.port, route, tracker: this.tracker });
  }
}
