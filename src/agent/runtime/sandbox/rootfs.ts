/**
 * A sandbox-runtime container's root filesystem: an overlay whose only lower layer is the host's
 * `/` (read-only to the container: what it writes lands in its private upper directory), mounted
 * by the runtime before runc starts the container and unmounted when the container is removed.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface OverlayDirs {
  upper: string;
  work: string;
  /** Where the overlay is mounted. */
  target: string;
}

/** `mount -o` options of the overlay. */
export function overlayOptions(lower: string, dirs: OverlayDirs): string {
  return `lowerdir=${lower},upperdir=${dirs.upper},workdir=${dirs.work}`;
}

/** Whether something is mounted at `target` (from /proc/self/mountinfo, field 5). */
export function isMountPoint(mountinfo: string, target: string): boolean {
  const escaped = target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === escaped);
}

async function mounted(target: string): Promise<boolean> {
  return isMountPoint(await readFile('/proc/self/mountinfo', 'utf8'), target);
}

/** Mounts the overlay (idempotent). */
export async function mountOverlay(dirs: OverlayDirs, lower = '/'): Promise<void> {
  await Promise.all([dirs.upper, dirs.work, dirs.target].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
  // The upper directory is the container's `/`: a non-root user must be able to enter it.
  await chmod(dirs.upper, 0o755);
  if (await mounted(dirs.target)) return;
  await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(lower, dirs), dirs.target]);
}

/** Unmounts `target` if mounted; a busy mount is detached lazily. */
export async function unmount(target: string): Promise<void> {
  if (!(await mounted(target))) return;
  try {
    await execFileAsync('umount', [target]);
  } catch {
    await execFileAsync('umount', ['-l', target]);
  }
}
