/**
 * Fake pod IPs, unique among the live pods of the simulated nodes: node i owns the /23 block
 * 10.128.0.0 + 512·i (so 16,384 nodes fit in 10.128.0.0/9), and hands out its 510 host addresses
 * lowest first, reusing those of deleted pods. Nothing routes to them; they only have to look real.
 */
const blockSize = 512;
const blocks = (1 << 23) / blockSize;
const base = (10 << 24) + (128 << 16);

const toIP = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function fromIP(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export class PodIpAllocator {
  /** node index → used host offsets */
  private readonly used = new Map<number, Set<number>>();
  /** pod key → [node index, offset] */
  private readonly byPod = new Map<string, [number, number]>();

  /** The pod's IP: the one it already holds, or the lowest free one of its node's block. */
  allocate(nodeIndex: number, podKey: string): string {
    const held = this.byPod.get(podKey);
    if (held) return toIP(base + (held[0] % blocks) * blockSize + held[1]);
    const used = this.usedOf(nodeIndex);
    for (let off = 1; off < blockSize - 1; off++) {
      if (used.has(off)) continue;
      used.add(off);
      this.byPod.set(podKey, [nodeIndex, off]);
      return toIP(base + (nodeIndex % blocks) * blockSize + off);
    }
    throw new Error(`no free pod IP left on simulated node ${nodeIndex} (${blockSize - 2} pods at most)`);
  }

  /** Records an IP a pod already has (after a restart of the simulator), when it is in the node's block. */
  reserve(nodeIndex: number, podKey: string, ip: string): void {
    const n = fromIP(ip);
    const start = base + (nodeIndex % blocks) * blockSize;
    if (n === undefined || n <= start || n >= start + blockSize - 1 || this.byPod.has(podKey)) return;
    this.usedOf(nodeIndex).add(n - start);
    this.byPod.set(podKey, [nodeIndex, n - start]);
  }

  release(podKey: string): void {
    const held = this.byPod.get(podKey);
    if (!held) return;
    this.byPod.delete(podKey);
    this.used.get(held[0])?.delete(held[1]);
  }

  private usedOf(nodeIndex: number): Set<number> {
    let s = this.used.get(nodeIndex);
    if (!s) this.used.set(nodeIndex, (s = new Set()));
    return s;
  }
}
