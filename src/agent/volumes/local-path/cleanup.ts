/**
 * The agent's side of the local-path provisioner: directories under `<dataDir>/local-path/`
 * whose PersistentVolume no longer exists are removed (the provisioner deletes the volume when
 * its claim goes, reclaim policy Delete).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { localPathDirName } from './names.js';

/** The directory names to remove: present on disk, not a live volume (pure). */
export function orphanedVolumeDirs(onDisk: readonly string[], liveVolumes: ReadonlySet<string>): string[] {
  return onDisk.filter((name) => name.startsWith('pvc-') && !liveVolumes.has(name)).sort();
}

/**
 * Removes orphaned volume directories under `<dataDir>/local-path`; `liveVolumes` are the names
 * of every PersistentVolume that exists (from a synced informer, never a partial list).
 */
export async function removeOrphanedLocalPathDirs(dataDir: string, liveVolumes: ReadonlySet<string>): Promise<string[]> {
  const base = path.join(dataDir, localPathDirName);
  const onDisk = await fs.readdir(base).catch(() => [] as string[]);
  const orphans = orphanedVolumeDirs(onDisk, liveVolumes);
  for (const name of orphans) await fs.rm(path.join(base, name), { recursive: true, force: true });
  return orphans;
}
