/**
 * The host's device nodes, for privileged containers (containerd's WithHostDevices, which uses
 * runc's device listing): every character and block device under /dev, skipping the
 * pseudo-terminal, shared-memory, fd and mqueue directories, the console and symlinks. runc
 * creates each in the container's own /dev.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { OciDevice } from './oci-security.js';

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Major and minor numbers of a Linux dev_t (glibc's encoding). */
export function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** Every device node under `dir` (default /dev); unreadable entries are skipped. */
export async function hostDevices(dir = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries) {
    const p = path.join(dir, name);
    const st = await lstat(p, { bigint: true }).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...(await hostDevices(p)));
      continue;
    }
    if (name === 'console' || !(st.isCharacterDevice() || st.isBlockDevice())) continue;
    out.push({ path: p, type: st.isCharacterDevice() ? 'c' : 'b', ...splitDeviceNumber(st.rdev), fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) });
  }
  return out;
}
