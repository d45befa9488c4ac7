/**
 * The node IPAM controller (`nodeipam` in kube-controller-manager, its RangeAllocator mode): gives
 * every Node a pod CIDR (spec.podCIDR / spec.podCIDRs) cut from the cluster CIDR. It keeps no state
 * of its own beyond allocations still in flight: the subnets in use are read from the Nodes in the
 * cache on every pass, so a restarted controller never hands a subnet out twice and a deleted
 * Node's subnet is free again. When none is left the Node gets upstream's `CIDRNotAvailable` event.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Informer } from '../../client/informer.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { type CidrSetConfig, cidrSetConfig, nextFreeSubnet } from './cidr-set.js';

export const defaultClusterCidr = '10.42.0.0/16';
export const defaultNodeCidrMaskSize = 24;

export interface NodeIpamOptions {
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
}

const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;
const podCidrsOf = (n: Node | undefined): string[] => n?.spec?.podCIDRs?.length ? n.spec.podCIDRs : n?.spec?.podCIDR ? [n.spec.podCIDR] : [];

export class NodeIpamController implements RunnableController {
  readonly controller: Controller;
  private readonly nodes: Informer<ApiObject>;
  private readonly cfg: CidrSetConfig;
  /** Subnets patched onto Nodes that the cache does not show yet, by node name. */
  private readonly inFlight = new Map<string, string>();
  /** Nodes already told that no subnet is left (told once, not on every status update). */
  private readonly toldExhausted = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeIpamOptions = {},
  ) {
    this.cfg = cidrSetConfig(opts.clusterCidr ?? defaultClusterCidr, opts.nodeCidrMaskSize ?? defaultNodeCidrMaskSize);
    this.nodes = ctx.informers.informerFor(builtinRefs.nodes);
    this.controller = new Controller({ name: 'nodeipam', informers: [this.nodes], clock: ctx.clock, logger: ctx.logger, reconcile: (k, s) => this.reconcile(k, s) });
    this.nodes.addEventHandler({
      onAdd: (n) => this.controller.enqueue(n),
      onUpdate: (_o, n) => this.controller.enqueue(n),
      // A freed subnet may be what a waiting Node needs.
      onDelete: (n) => {
        this.controller.enqueue(n);
        for (const other of this.nodes.list()) if (podCidrsOf(other as unknown as Node).length === 0) this.controller.enqueue(other);
      },
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  async reconcile(name: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const node = this.nodes.get(name) as unknown as Node | undefined;
    if (!node || podCidrsOf(node).length > 0) {
      this.inFlight.delete(name);
      this.toldExhausted.delete(name);
      return;
    }
    const used = [
      ...this.nodes.list().flatMap((n) => (n.metadata.name === name ? [] : podCidrsOf(n as unknown as Node))),
      ...[...this.inFlight].filter(([n]) => n !== name).map(([, c]) => c),
    ];
    const cidr = this.inFlight.get(name) ?? nextFreeSubnet(this.cfg, used);
    if (!cidr) {
      if (this.toldExhausted.has(name)) return;
      this.toldExhausted.add(name);
      // As upstream's nodeutil.RecordNodeStatusChange.
      this.ctx.recorder.event(node as unknown as ApiObject, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      this.ctx.logger.warn('no pod CIDR left for node', { node: name, clusterCIDR: this.cfg.clusterCidr });
      return;
    }
    this.inFlight.set(name, cidr);
    try {
      await this.ctx.client.patch(builtinRefs.nodes, name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge', { signal });
      this.ctx.logger.info('allocated pod CIDR', { node: name, podCIDR: cidr });
    } catch (e) {
      if (isNotFound(e)) {
        this.inFlight.delete(name);
        return;
      }
      this.ctx.recorder.event(node as unknown as ApiObject, 'Warning', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
      throw e;
    }
  }
}

/** The `nodeipam` controller for the controller manager. */
export function createNodeIpamController(ctx: ControllerContext): RunnableController {
  return new NodeIpamController(ctx, { clusterCidr: ctx.settings?.clusterCidr, nodeCidrMaskSize: ctx.settings?.nodeCidrMaskSize });
}
