/**
 * emptyDir support (after pkg/volume/emptydir/empty_dir.go and the eviction manager's
 * emptyDirLimitEviction, v1.32): the size limit a tmpfs gets, the disk usage of a volume, and the
 * pure decision whether a volume is over its `sizeLimit`. Mounting goes through `Mounter`, so
 * tests and unprivileged agents never call mount(8).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { parseQuantity } from '../../api/quantity.js';

/** How tmpfs volumes are mounted and unmounted. */
export interface Mounter {
  mountTmpfs(dir: string, sizeBytes: bigint | undefined): Promise<void>;
  unmount(dir: string): Promise<void>;
  isMountPoint(dir: string): Promise<boolean>;
}

const run = promisify(execFile);

/** mount(8) and umount(8); only usable as root. */
export const systemMounter: Mounter = {
  async mountTmpfs(dir, sizeBytes) {
    const args = ['-t', 'tmpfs'];
    if (sizeBytes !== undefined && sizeBytes > 0n) args.push('-o', `size=${sizeBytes}`);
    await run('mount', [...args, 'tmpfs', dir]);
  },
  async unmount(dir) {
    await run('umount', [dir]);
  },
  async isMountPoint(dir) {
    const info = await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    const escaped = dir.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    return info.split('\n').some((line) => line.split(' ')[4] === escaped);
  },
};

/** The bytes of a `sizeLimit` quantity, or undefined when unset, unparsable or not positive. */
export function sizeLimitBytes(sizeLimit: string | undefined): bigint | undefined {
  if (sizeLimit === undefined) return undefined;
  const q = parseQuantity(sizeLimit);
  if (!q) return undefined;
  const v = q.bigValue();
  return v > 0n ? v : undefined;
}

/** One emptyDir volume's usage as measured for eviction. */
export interface EmptyDirUsage {
  volume: string;
  medium: string;
  usedBytes: bigint;
  sizeLimitBytes?: bigint;
  sizeLimit?: string;
}

/** An emptyDir is over its limit when a positive limit is set and usage exceeds it. */
export function overSizeLimit(usedBytes: bigint, limitBytes: bigint | undefined): boolean {
  return limitBytes !== undefined && limitBytes > 0n && usedBytes > limitBytes;
}

/** The eviction message for the first volume over its limit, or undefined (the eviction manager's wording). */
export function emptyDirLimitEviction(usages: readonly EmptyDirUsage[]): string | undefined {
  for (const u of usages) {
    if (overSizeLimit(u.usedBytes, u.sizeLimitBytes)) return `Usage of EmptyDir volume "${u.volume}" exceeds the limit "${u.sizeLimit}". `;
  }
  return undefined;
}

/** Disk usage of a tree in bytes, as du counts it (allocated blocks, hard links once, symlinks not followed). */
export async function diskUsageBytes(root: string): Promise<bigint> {
  const seen = new Set<string>();
  let total = 0n;
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await fs.lstat(p, { bigint: true });
    } catch {
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    total += st.blocks * 512n;
    if (st.isDirectory()) {
      const names = await fs.readdir(p).catch(() => [] as string[]);
      for (const n of names) await walk(`${p}/${n}`);
    }
  };
  await walk(root);
  return total;
}
