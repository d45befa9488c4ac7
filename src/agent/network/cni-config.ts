/**
 * The CNI network configurations of `bridge` mode (DESIGN.md §2.7) and the parsing of plugin
 * answers, as pure functions. Pods attach to one Linux bridge whose address is the gateway of the
 * node's pod CIDR; host-local hands out the addresses. Pods get routes only to the cluster CIDR,
 * the service CIDR and the node's own addresses, through the bridge: no default route and no
 * masquerade, so pod traffic never leaves the machine.
 */

export const CNI_VERSION = '1.0.0';
export const BRIDGE_NAME = 'capstan0';
export const NETWORK_NAME = 'capstan';
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';

export interface BridgeNetworkInput {
  /** The node's spec.podCIDR, e.g. 10.42.0.0/24. */
  podCidr: string;
  /** The cluster CIDR (10.42.0.0/16): other pods. */
  clusterCidr: string;
  /** The Service CIDR (10.43.0.0/16): ClusterIPs, served on the host. */
  serviceCidr: string;
  /** The node's own IPv4 addresses (reached as /32 routes). */
  nodeIPs: string[];
  /** Where host-local keeps its allocations (one file per IP). */
  ipamDataDir: string;
  /** The Linux bridge (default capstan0). */
  bridgeName?: string;
}

/** The first address of an IPv4 CIDR: the bridge's own address, the pods' gateway. */
export function gatewayOf(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const addr = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const hostBits = 32 - Number(m[5]);
  const gw = Math.floor(addr / 2 ** hostBits) * 2 ** hostBits + 1;
  return [24, 16, 8, 0].map((sh) => Math.floor(gw / 2 ** sh) % 256).join('.');
}

/** The `bridge` plugin's configuration with its host-local IPAM section. */
export function bridgeNetworkConfig(input: BridgeNetworkInput): Record<string, unknown> {
  // Loopback addresses are never routed out of a namespace: a node known only by 127.0.0.1 gets no route.
  const gw = gatewayOf(input.podCidr);
  const hostRoutes = [...new Set(input.nodeIPs.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.startsWith('127.')))].map((ip) => ({ dst: `${ip}/32`, gw }));
  return {
    cniVersion: CNI_VERSION,
    name: NETWORK_NAME,
    type: 'bridge',
    bridge: input.bridgeName ?? BRIDGE_NAME,
    isGateway: true,
    isDefaultGateway: false,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: input.podCidr, gateway: gw }]],
      // Gateways spelled out so that CHECK finds the routes exactly as ADD made them.
      routes: [{ dst: input.clusterCidr, gw }, { dst: input.serviceCidr, gw }, ...hostRoutes],
      dataDir: input.ipamDataDir,
    },
  };
}

/** The `loopback` plugin's configuration (brings `lo` up in the pod's namespace). */
export function loopbackNetworkConfig(): Record<string, unknown> {
  return { cniVersion: CNI_VERSION, name: `${NETWORK_NAME}-loopback`, type: 'loopback' };
}

/** The parts of a CNI ADD result the agent uses. */
export interface CniResult {
  /** Addresses without their prefix length, e.g. 10.42.0.5. */
  ips: string[];
  /** With prefix, as the plugin gave them, e.g. 10.42.0.5/24. */
  cidrs: string[];
}

export class CniError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'CniError';
  }
}

/** Reads a plugin's ADD result (CNI spec "Success" section); throws CniError when it is not one. */
export function parseCniResult(stdout: string): CniResult {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new CniError(`the plugin's result is not JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (!doc || typeof doc !== 'object') throw new CniError('the plugin gave an empty result');
  const ips = (doc as { ips?: unknown }).ips;
  if (ips !== undefined && !Array.isArray(ips)) throw new CniError('the plugin result\'s "ips" is not a list');
  const cidrs = ((ips as { address?: unknown }[] | undefined) ?? []).map((e) => e?.address).filter((a): a is string => typeof a === 'string');
  return { cidrs, ips: cidrs.map((c) => c.split('/')[0]!) };
}

/**
 * The message of a failed plugin run: the CNI error object's `msg` and `details` when stdout
 * holds one, else stderr or the exit status.
 */
export function cniFailure(plugin: string, command: string, stdout: string, stderr: string, exitCode: number | null): CniError {
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e && typeof e.msg === 'string') {
      return new CniError(`plugin type="${plugin}" failed (${command.toLowerCase()}): ${e.msg}${e.details ? `: ${e.details}` : ''}`, e.code);
    }
  } catch {
    // not an error object
  }
  const text = stderr.trim() || `exit status ${exitCode}`;
  return new CniError(`plugin type="${plugin}" failed (${command.toLowerCase()}): ${text}`);
}

/** The environment of one plugin run (CNI spec "Parameters"). */
export function cniEnvironment(p: { command: 'ADD' | 'DEL' | 'CHECK'; containerId: string; netns: string; ifName: string; path: string[] }): Record<string, string> {
  return {
    CNI_COMMAND: p.command,
    CNI_CONTAINERID: p.containerId,
    CNI_NETNS: p.netns,
    CNI_IFNAME: p.ifName,
    CNI_PATH: p.path.join(':'),
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
  };
}

/** Where the CNI plugins are looked for: `--cni-bin-dir` first, then Debian's and upstream's places. */
export function cniSearchPath(binDir: string | undefined): string[] {
  return [...(binDir ? [binDir] : []), '/usr/lib/cni', '/opt/cni/bin'];
}

/** The plugins bridge mode needs. */
export const REQUIRED_PLUGINS = ['bridge', 'host-local', 'loopback'] as const;
