/**
 * A pod sandbox's network in `bridge` mode (DESIGN.md §2.7): the runtime that owns the sandbox
 * calls setUp when it creates one and tearDown when it stops one, as a CRI runtime does with its
 * CNI plugins. setUp makes the sandbox's network namespace, brings `lo` up with the loopback
 * plugin and attaches `eth0` to the node's bridge with an address from host-local; tearDown runs
 * CNI DEL (host-local frees the address) and deletes the namespace. Both are idempotent, and the
 * attachment is plain data the runtime keeps in its sandbox record, so a restarted agent can
 * tear down what an earlier one set up.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../../util/logger.js';
import { bridgeNetworkConfig, loopbackNetworkConfig, parseCniResult } from './cni-config.js';
import { invokeCniPlugin } from './cni-exec.js';
import { deleteNetns, ensureNetns, netnsName } from './netns.js';

export interface PodNetworkAttachment {
  /** The sandbox's network namespace file. */
  netnsPath: string;
  ips: string[];
  /** The pod CIDR the address came from (needed again by DEL). */
  podCidr: string;
  /** The bridge plugin's ADD result: the `prevResult` of a later CHECK. */
  result?: Record<string, unknown>;
}

/** What a runtime needs of the pod network. */
export interface PodNetwork {
  /** Creates and attaches the sandbox's namespace; throws with the plugin's message on failure. */
  setUp(sandboxId: string): Promise<PodNetworkAttachment>;
  /** Detaches and deletes it; safe to repeat. */
  tearDown(sandboxId: string, attachment: PodNetworkAttachment): Promise<void>;
  /** Throws when the attachment is no longer as ADD left it (CNI CHECK). */
  check(sandboxId: string, attachment: PodNetworkAttachment): Promise<void>;
}

export interface CniPodNetworkOptions {
  /** Directories holding the CNI plugins (CNI_PATH). */
  cniPath: string[];
  /** host-local's state directory. */
  ipamDataDir: string;
  /** The node's spec.podCIDR; undefined until the node IPAM controller gave it one. */
  podCidr: () => string | undefined;
  clusterCidr: string;
  serviceCidr: string;
  /** The node's own addresses, routed from pods through the bridge. */
  nodeIPs: () => string[];
  /** The Linux bridge (default capstan0). */
  bridgeName?: string;
  logger?: Logger;
}

export class CniPodNetwork implements PodNetwork {
  constructor(private readonly opts: CniPodNetworkOptions) {}

  private bridgeConfig(podCidr: string): Record<string, unknown> {
    const o = this.opts;
    return bridgeNetworkConfig({ podCidr, clusterCidr: o.clusterCidr, serviceCidr: o.serviceCidr, nodeIPs: o.nodeIPs(), ipamDataDir: o.ipamDataDir, bridgeName: o.bridgeName });
  }

  async setUp(sandboxId: string): Promise<PodNetworkAttachment> {
    const podCidr = this.opts.podCidr();
    if (!podCidr) throw new Error('the node has no pod CIDR (spec.podCIDR) yet');
    await mkdir(this.opts.ipamDataDir, { recursive: true });
    const netns = await ensureNetns(netnsName(sandboxId));
    const common = { containerId: sandboxId, netns, cniPath: this.opts.cniPath };
    try {
      await invokeCniPlugin({ ...common, command: 'ADD', ifName: 'lo', config: loopbackNetworkConfig() });
      const stdout = await invokeCniPlugin({ ...common, command: 'ADD', ifName: 'eth0', config: this.bridgeConfig(podCidr) });
      const result = parseCniResult(stdout);
      if (result.ips.length === 0) throw new Error('the bridge plugin gave the pod no address');
      this.opts.logger?.debug('pod network set up', { sandbox: sandboxId, netns, ips: result.ips });
      return { netnsPath: netns, ips: result.ips, podCidr, result: JSON.parse(stdout) as Record<string, unknown> };
    } catch (e) {
      await this.tearDown(sandboxId, { netnsPath: netns, ips: [], podCidr }).catch(() => {});
      throw e;
    }
  }

  async check(sandboxId: string, attachment: PodNetworkAttachment): Promise<void> {
    if (!attachment.result) return;
    const config = { ...this.bridgeConfig(attachment.podCidr), prevResult: attachment.result };
    await invokeCniPlugin({ containerId: sandboxId, netns: attachment.netnsPath, cniPath: this.opts.cniPath, command: 'CHECK', ifName: 'eth0', config });
  }

  async tearDown(sandboxId: string, attachment: PodNetworkAttachment): Promise<void> {
    const common = { containerId: sandboxId, netns: attachment.netnsPath, cniPath: this.opts.cniPath };
    await invokeCniPlugin({ ...common, command: 'DEL', ifName: 'eth0', config: this.bridgeConfig(attachment.podCidr) });
    await invokeCniPlugin({ ...common, command: 'DEL', ifName: 'lo', config: loopbackNetworkConfig() }).catch(() => {});
    await deleteNetns(netnsName(sandboxId));
  }
}
