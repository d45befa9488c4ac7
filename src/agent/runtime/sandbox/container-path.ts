/**
 * Finding a sandbox-runtime container's executable before runc starts it, so that a missing one
 * is a RunContainerError in runc's words (the container's init is a wrapper shell, which would
 * only exit 127). Container paths are looked up on the host through the mounted root filesystem,
 * or through a volume's host path when one is mounted over them.
 */
import path from 'node:path';
import type { Mount } from '../runtime.js';
import { resolveExecutable, type Resolved } from '../process/container-env.js';

/** The host path of `containerPath` (absolute) in a container whose root is at `rootfs`. */
export function hostPathOf(containerPath: string, rootfs: string, mounts: Mount[]): string {
  const p = path.posix.normalize(containerPath);
  let best: Mount | undefined;
  let bestLen = -1;
  for (const m of mounts) {
    const dest = path.posix.normalize(m.containerPath).replace(/\/+$/, '') || '/';
    const under = p === dest || p.startsWith(dest === '/' ? '/' : `${dest}/`);
    if (under && dest.length > bestLen) {
      best = m;
      bestLen = dest.length;
    }
  }
  if (best) return path.join(best.hostPath, p.slice(bestLen));
  return path.join(rootfs, p);
}

/** Resolves `file` as runc would inside the container; the path returned is the container's. */
export async function resolveInContainer(file: string, pathEnv: string, cwd: string, rootfs: string, mounts: Mount[]): Promise<Resolved> {
  const toHost = (p: string) => hostPathOf(path.posix.resolve(cwd, p), rootfs, mounts);
  if (file.includes('/')) {
    const r = await resolveExecutable(toHost(file), '', '/');
    return r.ok ? { ok: true, path: path.posix.resolve(cwd, file) } : { ok: false, message: r.message.split(toHost(file)).join(file) };
  }
  const dirs = pathEnv.split(':').map((d) => path.posix.resolve(cwd, d === '' ? '.' : d));
  for (const dir of dirs) {
    const r = await resolveExecutable(toHost(path.posix.join(dir, file)), '', '/');
    if (r.ok) return { ok: true, path: path.posix.join(dir, file) };
  }
  return { ok: false, message: `exec: ${JSON.stringify(file)}: executable file not found in $PATH` };
}
