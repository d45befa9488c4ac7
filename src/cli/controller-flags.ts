/**
 * The kube-controller-manager flags that both `capstan server` and `capstan controller-manager`
 * accept, parsed into the manager's ControllerSettings.
 */
import type { ControllerSettings } from '../controllers/context.js';
import { parseDuration } from '../util/duration.js';
import { cidrSetConfig } from '../controllers/nodeipam/cidr-set.js';
import { defaultClusterCidr, defaultNodeCidrMaskSize } from '../controllers/nodeipam/nodeipam-controller.js';

export const controllerFlagOptions = {
  'node-monitor-grace-period': { type: 'string' },
  'terminated-pod-gc-threshold': { type: 'string' },
  'cluster-cidr': { type: 'string' },
  'node-cidr-mask-size': { type: 'string' },
  'local-path-data-dir': { type: 'string' },
} as const;

export const controllerFlagHelp = `  --node-monitor-grace-period DURATION  a node silent this long is marked Unknown and tainted (default 40s)
  --terminated-pod-gc-threshold N      finished pods kept before the oldest are deleted (default 12500; 0 keeps all)
  --cluster-cidr CIDR                  the range the nodes' pod CIDRs are cut from (default 10.42.0.0/16)
  --node-cidr-mask-size N              the mask size of each node's pod CIDR (default 24)
  --local-path-data-dir PATH           the nodes' agent data dir; local-path volumes live in PATH/local-path
                                       (default: server <data-dir>/agent, controller-manager /var/lib/capstan-agent)
`;

/** Throws an Error naming the bad flag. */
export function parseControllerFlags(args: { 'node-monitor-grace-period'?: string; 'terminated-pod-gc-threshold'?: string; 'cluster-cidr'?: string; 'node-cidr-mask-size'?: string; 'local-path-data-dir'?: string }): ControllerSettings {
  const settings: ControllerSettings = {};
  const dir = args['local-path-data-dir'];
  if (dir !== undefined) {
    if (!dir.startsWith('/')) throw new Error(`invalid --local-path-data-dir ${JSON.stringify(dir)}: must be an absolute path`);
    settings.localPathDataDir = dir;
  }
  if (args['node-monitor-grace-period'] !== undefined) settings.nodeMonitorGracePeriodMs = parseDuration(args['node-monitor-grace-period']);
  const threshold = args['terminated-pod-gc-threshold'];
  if (threshold !== undefined) {
    const n = Number(threshold);
    if (!/^\d+$/.test(threshold.trim()) || !Number.isSafeInteger(n)) throw new Error(`invalid --terminated-pod-gc-threshold ${JSON.stringify(threshold)}: must be a non-negative integer`);
    settings.terminatedPodGcThreshold = n;
  }
  const mask = args['node-cidr-mask-size'];
  if (mask !== undefined) {
    if (!/^\d+$/.test(mask.trim())) throw new Error(`invalid --node-cidr-mask-size ${JSON.stringify(mask)}: must be an integer`);
    settings.nodeCidrMaskSize = Number(mask);
  }
  if (args['cluster-cidr'] !== undefined) settings.clusterCidr = args['cluster-cidr'];
  // Checked here so that a bad pair fails at start, not when the controller is built.
  cidrSetConfig(settings.clusterCidr ?? defaultClusterCidr, settings.nodeCidrMaskSize ?? defaultNodeCidrMaskSize);
  return settings;
}
