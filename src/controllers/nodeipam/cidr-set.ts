/**
 * The node IPAM controller's allocation logic (the idea of upstream's
 * pkg/controller/nodeipam/ipam/cidrset): the cluster CIDR is cut into per-node subnets of one
 * mask size, handed out lowest first; a subnet is taken when a Node's spec.podCIDRs holds it or
 * an allocation is in flight. Pure functions over plain data; IPv4 only.
 */

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR. The host bits are cleared. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: maskAddress(addr, prefix), prefix };
}

function maskAddress(addr: number, prefix: number): number {
  if (prefix === 0) return 0;
  const hostBits = 32 - prefix;
  return Math.floor(addr / 2 ** hostBits) * 2 ** hostBits;
}

export function ipv4ToString(addr: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join('.');
}

export function formatIpv4Cidr(c: Ipv4Cidr): string {
  return `${ipv4ToString(c.base)}/${c.prefix}`;
}

/** Whether `inner` lies wholly inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && maskAddress(inner.base, outer.prefix) === outer.base;
}

/** Upstream refuses more than 2^16 node subnets per cluster CIDR (cidrset's clusterSubnetMaxDiff). */
const MAX_SUBNET_BITS = 16;

export interface CidrSetConfig {
  clusterCidr: Ipv4Cidr;
  nodeMaskSize: number;
}

/** Checks `--cluster-cidr` and `--node-cidr-mask-size`; throws an Error naming the problem. */
export function cidrSetConfig(clusterCidr: string, nodeMaskSize: number): CidrSetConfig {
  const c = parseIpv4Cidr(clusterCidr);
  if (!c) throw new Error(`invalid --cluster-cidr ${JSON.stringify(clusterCidr)}: must be an IPv4 CIDR such as 10.42.0.0/16`);
  if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < c.prefix || nodeMaskSize > 32) {
    throw new Error(`invalid --node-cidr-mask-size ${nodeMaskSize}: must be between the cluster CIDR's mask (${c.prefix}) and 32`);
  }
  if (nodeMaskSize - c.prefix > MAX_SUBNET_BITS) {
    throw new Error(`--node-cidr-mask-size ${nodeMaskSize} is too large for --cluster-cidr ${clusterCidr}: at most ${MAX_SUBNET_BITS} bits more than the cluster mask`);
  }
  return { clusterCidr: c, nodeMaskSize };
}

/** How many node subnets the cluster CIDR holds. */
export function subnetCount(cfg: CidrSetConfig): number {
  return 2 ** (cfg.nodeMaskSize - cfg.clusterCidr.prefix);
}

/** The i-th node subnet of the cluster CIDR. */
export function subnetAt(cfg: CidrSetConfig, i: number): string {
  return formatIpv4Cidr({ base: cfg.clusterCidr.base + i * 2 ** (32 - cfg.nodeMaskSize), prefix: cfg.nodeMaskSize });
}

/**
 * The indexes of the node subnets that `cidrs` (Nodes' podCIDRs) occupy; a CIDR outside the
 * cluster CIDR occupies nothing, and one larger than a node subnet occupies every subnet it covers.
 */
export function occupiedSubnets(cfg: CidrSetConfig, cidrs: Iterable<string>): Set<number> {
  const taken = new Set<number>();
  const size = 2 ** (32 - cfg.nodeMaskSize);
  for (const text of cidrs) {
    const c = parseIpv4Cidr(text);
    if (!c) continue;
    const overlapsCluster = cidrContains(cfg.clusterCidr, c) || cidrContains(c, cfg.clusterCidr);
    if (!overlapsCluster) continue;
    const start = Math.max(c.base, cfg.clusterCidr.base);
    const end = Math.min(c.base + 2 ** (32 - c.prefix), cfg.clusterCidr.base + size * subnetCount(cfg));
    for (let a = start - ((start - cfg.clusterCidr.base) % size); a < end; a += size) taken.add((a - cfg.clusterCidr.base) / size);
  }
  return taken;
}

/** The lowest node subnet that none of `used` occupies, or undefined when the cluster CIDR is full. */
export function nextFreeSubnet(cfg: CidrSetConfig, used: Iterable<string>): string | undefined {
  const taken = occupiedSubnets(cfg, used);
  const n = subnetCount(cfg);
  for (let i = 0; i < n; i++) if (!taken.has(i)) return subnetAt(cfg, i);
  return undefined;
}
