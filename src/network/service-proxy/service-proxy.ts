/**
 * The service proxy of one node (kube-proxy's job, DESIGN.md §2.7), a userspace proxy: it watches
 * Services, EndpointSlices and its own Node, turns them into a plan (./proxy-rules.ts) on every
 * change and hands it to the data plane (./proxier.ts). It listens on each Service's ClusterIPs,
 * on the node's addresses at each NodePort, and at the Service port for LoadBalancer Services
 * that the built-in load balancer serves. With `mode: 'nftables'` the kernel carries what it can
 * (./nft-proxier.ts, DNAT rules in the agent's own table) and the userspace proxy keeps the rest
 * (session affinity, loopback endpoints and loopback NodePorts in bridge mode; ./nft-ruleset.ts).
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { type Clock, realClock } from '../../client/clock.js';
import { Informer } from '../../client/informer.js';
import { listWatcherFor } from '../../client/list-watch.js';
import type { EventRecorder } from '../../controllers/events.js';
import type { Logger } from '../../util/logger.js';
import { NftProxier, type NftRunner } from './nft-proxier.js';
import { splitPlan } from './nft-ruleset.js';
import { Proxier } from './proxier.js';
import { planProxy } from './proxy-rules.js';

/** `--proxy-mode`: the userspace proxy alone (default), or kernel DNAT rules where they apply. */
export type ProxyMode = 'userspace' | 'nftables';

export function parseProxyModeFlag(v: string | undefined): ProxyMode {
  if (v === undefined || v === 'userspace' || v === 'nftables') return v ?? 'userspace';
  throw new Error(`invalid --proxy-mode ${JSON.stringify(v)}: must be userspace or nftables`);
}

export interface ServiceProxyOptions {
  nodeName: string;
  logger: Logger;
  clock?: Clock;
  /** Warning Events about Services whose ports cannot be bound. */
  recorder?: EventRecorder;
  /** See ProxierOptions.ensureLocalAddress: a no-op in host network mode. */
  ensureLocalAddress?: (ip: string) => void | Promise<void>;
  bindRetryMs?: number;
  udpIdleMs?: number;
  /** Default userspace. nftables needs root and `nft` (the caller checks: nftablesProblem). */
  mode?: ProxyMode;
  /**
   * nftables mode with bridge pod networking: the bridge and the cluster's pod range (hairpin-only
   * masquerade where br_netfilter is on, decided at start).
   */
  bridge?: { name: string; podCidr: string };
  /** nftables mode: the table's name (default capstan-proxy) and how scripts are loaded (tests). */
  nftTable?: string;
  nft?: NftRunner;
}

/** The addresses NodePort and LoadBalancer listeners bind: the Node's InternalIPs, and loopback. */
export function nodeAddresses(node: Node | undefined): string[] {
  const internal = (node?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  return [...new Set([...internal, '127.0.0.1'])];
}

export class ServiceProxy {
  readonly proxier: Proxier;
  /** The kernel data plane; undefined in userspace mode. */
  readonly nft?: NftProxier;
  private readonly toldUserspace = new Set<string>();
  private readonly services: Informer<ApiObject>;
  private readonly slices: Informer<ApiObject>;
  private readonly node: Informer<ApiObject>;
  private scheduled?: NodeJS.Immediate;

  constructor(client: ApiClient, private readonly opts: ServiceProxyOptions) {
    const clock = opts.clock ?? realClock;
    const common = { clock, logger: opts.logger };
    this.services = new Informer(listWatcherFor(client, builtinRefs.services), { name: 'proxy-services', ...common });
    this.slices = new Informer(listWatcherFor(client, builtinRefs.endpointslices), { name: 'proxy-endpointslices', ...common });
    this.node = new Informer(listWatcherFor(client, builtinRefs.nodes, { fieldSelector: `metadata.name=${opts.nodeName}` }), { name: 'proxy-node', ...common });
    this.proxier = new Proxier({
      nodeName: opts.nodeName,
      logger: opts.logger,
      now: () => clock.now(),
      ensureLocalAddress: opts.ensureLocalAddress,
      bindRetryMs: opts.bindRetryMs,
      udpIdleMs: opts.udpIdleMs,
      onBindFailure: (spec, rule, error) => {
        if (!rule || !opts.recorder) return;
        const svc = this.services.get(`${rule.namespace}/${rule.name}`);
        const code = (error as NodeJS.ErrnoException).code ?? error.message;
        if (svc) opts.recorder.event(svc, 'Warning', 'FailedToListen', `can't listen on ${spec.ip}:${spec.port}/${spec.protocol} for the ${spec.kind} of port "${rule.portName}": ${code}; retrying`);
      },
    });
    if (opts.mode === 'nftables') {
      this.nft = new NftProxier({ logger: opts.logger, table: opts.nftTable, nft: opts.nft, bridge: opts.bridge, ensureLocalAddress: opts.ensureLocalAddress });
    }
  }

  /** Runs until `signal` aborts, then closes every listener and the connections they carry. */
  async run(signal: AbortSignal): Promise<void> {
    const kick = () => this.syncSoon();
    const handler = { onAdd: kick, onUpdate: kick, onDelete: kick };
    const removers = [this.services.addEventHandler(handler), this.slices.addEventHandler(handler), this.node.addEventHandler(handler)];
    const running = [this.services.start(signal), this.slices.start(signal), this.node.start(signal)];
    try {
      await this.nft?.start();
      await Promise.all([this.services.waitForSync(signal), this.slices.waitForSync(signal), this.node.waitForSync(signal)]);
      this.sync();
      this.opts.logger.info('service proxy started', { node: this.opts.nodeName, mode: this.opts.mode ?? 'userspace', listeners: this.proxier.openListeners().length });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    } finally {
      for (const r of removers) r();
      if (this.scheduled) clearImmediate(this.scheduled);
      await Promise.allSettled(running);
      await this.proxier.close();
      await this.nft?.close();
    }
  }

  /** Recomputes the plan from the caches now. */
  sync(): void {
    const node = this.node.get(this.opts.nodeName) as unknown as Node | undefined;
    const plan = planProxy(this.services.list() as unknown as Service[], this.slices.list() as unknown as EndpointSlice[], { name: this.opts.nodeName, addresses: nodeAddresses(node) });
    if (!this.nft) return this.proxier.apply(plan);
    const split = splitPlan(plan, { nodeName: this.opts.nodeName, bridge: !!this.opts.bridge });
    for (const [id, why] of split.userspaceWhy) {
      if (this.toldUserspace.has(`${id} ${why}`)) continue;
      this.toldUserspace.add(`${id} ${why}`);
      this.opts.logger.info('service port served by the userspace proxy in nftables mode', { servicePort: id, why });
    }
    this.proxier.apply(split.userspace);
    this.nft.apply(split.kernel);
  }

  /** Coalesces a burst of watch events into one sync on the next turn of the event loop. */
  private syncSoon(): void {
    if (this.scheduled || !this.services.hasSynced() || !this.slices.hasSynced() || !this.node.hasSynced()) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.sync();
    });
  }
}
