/**
 * Whether the sandbox runtime can work on this machine, found by doing the cheap parts of what it
 * does for every container: run runc, mount an overlay over `/` with its upper layer where the
 * runtime keeps its state (and unmount it), and create and remove a cgroup. Root and an installed
 * runc are not enough: inside an unprivileged container, without overlayfs or with a read-only
 * cgroup filesystem, the runtime would fail every pod. The agent's runtime detection and the
 * tests that need the runtime use the same probe.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CGROUP_MOUNT, cgroupVersion } from './cgroup.js';
import { findRunc } from './runc.js';
import { mountOverlay, unmount } from './rootfs.js';

const execFileAsync = promisify(execFile);

/** The first line of a failed command's stderr (mount adds hints after it), else its error message. */
function failure(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return `${e.stderr ?? ''}`.trim().split('\n').find(Boolean) ?? e.message ?? String(err);
}

async function probeOverlay(dir: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(path.join(dir, 'capstan-probe-'));
  const target = path.join(tmp, 'merged');
  try {
    await mountOverlay({ upper: path.join(tmp, 'upper'), work: path.join(tmp, 'work'), target });
    await unmount(target);
    return undefined;
  } catch (err) {
    return `cannot mount an overlay root filesystem: ${failure(err)}`;
  } finally {
    await unmount(target).catch(() => {});
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

async function probeCgroups(mount = CGROUP_MOUNT): Promise<string | undefined> {
  const version = await cgroupVersion(mount);
  const name = `capstan-probe-${randomBytes(4).toString('hex')}`;
  const dirs = version === 2 ? [path.join(mount, name)] : ['memory', 'cpu'].map((c) => path.join(mount, c, name));
  try {
    for (const d of dirs) await mkdir(d);
    return undefined;
  } catch (err) {
    return `cannot create cgroups under ${mount}: ${(err as Error).message}`;
  } finally {
    for (const d of dirs) await rmdir(d).catch(() => {});
  }
}

/**
 * Why the sandbox runtime cannot work here, or undefined when it can. Assumes root and `runc`;
 * `dir`: where the runtime keeps its state (its overlays' upper layers live there).
 */
export async function probeSandboxHost(runc: string, dir: string): Promise<string | undefined> {
  try {
    await execFileAsync(runc, ['--version']);
  } catch (err) {
    return `${runc} does not run: ${failure(err)}`;
  }
  return (await probeOverlay(dir)) ?? (await probeCgroups());
}

let cached: Promise<string | undefined> | undefined;

/** Why the sandbox runtime cannot run here (not root, no runc, or the probe failed); probed once per process. */
export function sandboxUnavailable(dir = os.tmpdir()): Promise<string | undefined> {
  cached ??= (async () => {
    if (process.getuid?.() !== 0) return 'the sandbox runtime needs root';
    const runc = await findRunc();
    if (!runc) return 'the sandbox runtime needs runc, which is not installed';
    const why = await probeSandboxHost(runc, dir);
    return why ? `the sandbox runtime cannot work here: ${why}` : undefined;
  })();
  return cached;
}
