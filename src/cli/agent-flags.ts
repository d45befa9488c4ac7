/**
 * The node agent's flags, shared by `capstan agent` and the agent inside `capstan server`:
 * identity, kubelet-style resource and registration flags, GPUs and container log rotation.
 */
import { hostname } from 'node:os';
import { parseQuantity } from '../api/quantity.js';
import type { NodeFlags } from '../agent/node/node-flags.js';
import { nodeFlagHelp, nodeFlagOptions, parseNodeFlags } from '../agent/node/node-flags.js';
import type { RuntimeWanted } from '../agent/runtime/detect.js';
import { type NetworkWanted, parseNetworkFlag } from '../agent/network/mode.js';
import { nftablesProblem } from '../network/service-proxy/nft-proxier.js';
import { type ProxyMode, parseProxyModeFlag } from '../network/service-proxy/service-proxy.js';

export const agentFlagOptions = {
  ...nodeFlagOptions,
  'node-name': { type: 'string' },
  'node-ip': { type: 'string' },
  'max-pods': { type: 'string' },
  'fake-gpus': { type: 'string' },
  'container-log-max-size': { type: 'string' },
  'container-log-max-files': { type: 'string' },
  'container-runtime': { type: 'string' },
  network: { type: 'string' },
  'cni-bin-dir': { type: 'string' },
  'disable-service-proxy': { type: 'boolean' },
  'proxy-mode': { type: 'string' },
} as const;

/**
 * The agent flags' help; `nodeIPDefault` says what --node-ip defaults to in the command at hand
 * (the agent inside `capstan server` takes the server's bind address).
 */
export const agentFlagHelp = (nodeIPDefault: string): string => `  --container-runtime NAME     auto (default: sandbox when root with runc installed, else process), process or sandbox
  --network MODE               pod networking: auto (default: bridge when root with the CNI bridge, host-local and
                               loopback plugins installed, else host), bridge or host
  --cni-bin-dir DIR            where to look first for the CNI plugins (then /usr/lib/cni, /opt/cni/bin)
  --disable-service-proxy      do not run the service proxy (ClusterIP, NodePort and LoadBalancer listeners) in this agent
  --proxy-mode MODE            userspace (default: listeners that forward each connection) or nftables (kernel DNAT
                               rules in the nftables table ip capstan-proxy; needs root and nft; Services with
                               sessionAffinity ClientIP stay in userspace)
  --node-name NAME             the Node's name (default: the host name, lower-cased)
  --node-ip IP                 the Node's InternalIP (default: ${nodeIPDefault})
  --max-pods N                 pods this node runs at most (default 110)
  --fake-gpus N                advertise N simulated nvidia.com/gpu devices instead of discovering GPUs
  --container-log-max-size Q   rotate a container's log file at this size (default 10Mi)
  --container-log-max-files N  log files kept per container, the live one included (default 5)
${nodeFlagHelp}`;

export interface AgentFlags {
  nodeName: string;
  nodeIP?: string;
  flags: NodeFlags;
  maxPods: number;
  fakeGpus?: number;
  containerLogMaxBytes: number;
  containerLogMaxFiles: number;
  containerRuntime: RuntimeWanted;
  network: NetworkWanted;
  cniBinDir?: string;
  disableServiceProxy: boolean;
  proxyMode: ProxyMode;
}

type Args = { [K in keyof typeof agentFlagOptions]?: (typeof agentFlagOptions)[K]['type'] extends 'boolean' ? boolean : string };

function nonNegativeInt(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new Error(`invalid --${flag} ${JSON.stringify(v)}: must be an integer of at least ${min}`);
  return n;
}

function runtimeFlag(v: string | undefined): RuntimeWanted {
  if (v === undefined || v === 'auto' || v === 'process' || v === 'sandbox') return v ?? 'auto';
  throw new Error(`invalid --container-runtime ${JSON.stringify(v)}: must be auto, process or sandbox`);
}

/** Throws an Error naming the bad flag. */
export function parseAgentFlags(args: Args): AgentFlags {
  const nodeName = (args['node-name'] ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new Error(`invalid --node-name ${JSON.stringify(nodeName)}: must be a DNS-1123 subdomain`);
  let containerLogMaxBytes = 10 * 1024 * 1024;
  const size = args['container-log-max-size'];
  if (size !== undefined) {
    const q = parseQuantity(size);
    if (!q || q.sign() <= 0) throw new Error(`invalid --container-log-max-size ${JSON.stringify(size)}: must be a positive quantity such as 10Mi`);
    containerLogMaxBytes = q.value();
  }
  return {
    nodeName,
    nodeIP: args['node-ip'] || undefined,
    flags: parseNodeFlags(args),
    maxPods: args['max-pods'] !== undefined ? nonNegativeInt('max-pods', args['max-pods'], 1) : 110,
    fakeGpus: args['fake-gpus'] !== undefined ? nonNegativeInt('fake-gpus', args['fake-gpus']) : undefined,
    containerLogMaxBytes,
    containerLogMaxFiles: args['container-log-max-files'] !== undefined ? nonNegativeInt('container-log-max-files', args['container-log-max-files'], 2) : 5,
    containerRuntime: runtimeFlag(args['container-runtime']),
    network: parseNetworkFlag(args.network),
    cniBinDir: args['cni-bin-dir'] || undefined,
    disableServiceProxy: args['disable-service-proxy'] === true,
    proxyMode: parseProxyModeFlag(args['proxy-mode']),
  };
}

/** Refuses `--proxy-mode nftables` where it cannot run (checked before anything starts). */
export async function checkProxyMode(flags: AgentFlags): Promise<void> {
  if (flags.proxyMode !== 'nftables' || flags.disableServiceProxy) return;
  const problem = await nftablesProblem();
  if (problem) throw new Error(`--proxy-mode nftables cannot run here: ${problem}`);
}
