/**
 * Where a sandbox-runtime container's cgroup lives and what it says: the directories runc makes
 * for a cgroupsPath under cgroup v1 (one per controller) or v2 (one), the OOM-kill counter
 * (v1 memory.oom_control, v2 memory.events), and the removal of a pod's emptied parent cgroups.
 */
import { readdir, readFile, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerStatsSource } from '../runtime.js';

export const CGROUP_MOUNT = '/sys/fs/cgroup';

export type CgroupVersion = 1 | 2;

export async function cgroupVersion(mount = CGROUP_MOUNT): Promise<CgroupVersion> {
  return stat(path.join(mount, 'cgroup.controllers')).then(
    () => 2 as const,
    () => 1 as const,
  );
}

/** The container's cgroup as the stats collector reads it. */
export function statsCgroup(version: CgroupVersion, cgroupsPath: string, mount = CGROUP_MOUNT): NonNullable<ContainerStatsSource['cgroup']> {
  if (version === 2) return { version: 2, dir: path.join(mount, cgroupsPath) };
  return { version: 1, cpuacctDir: path.join(mount, 'cpuacct', cgroupsPath), memoryDir: path.join(mount, 'memory', cgroupsPath) };
}

/** The number of OOM kills in a v1 memory.oom_control or v2 memory.events text; undefined when not counted. */
export function parseOomKills(text: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** How many processes of the cgroup the OOM killer killed (0 when it cannot be read). */
export async function readOomKills(version: CgroupVersion, cgroupsPath: string, mount = CGROUP_MOUNT): Promise<number> {
  const file = version === 2 ? path.join(mount, cgroupsPath, 'memory.events') : path.join(mount, 'memory', cgroupsPath, 'memory.oom_control');
  return parseOomKills(await readFile(file, 'utf8').catch(() => '')) ?? 0;
}

/** Removes the (empty) cgroup directory `cgroupsPath` in every hierarchy; what is missing or busy stays. */
export async function removeCgroup(version: CgroupVersion, cgroupsPath: string, mount = CGROUP_MOUNT): Promise<void> {
  const roots = version === 2 ? [mount] : (await readdir(mount).catch(() => [] as string[])).map((d) => path.join(mount, d));
  await Promise.all(roots.map((r) => rmdir(path.join(r, cgroupsPath)).catch(() => {})));
}
