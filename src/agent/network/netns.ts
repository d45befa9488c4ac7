/**
 * Named network namespaces for pods, made with iproute2 (`ip netns`): each is a namespace file
 * bind-mounted at /run/netns/<name>, so it outlives the agent and a restarted agent finds it
 * again by name.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const NETNS_DIR = '/run/netns';

/** The namespace name of a sandbox: `capstan-` and the first 16 hex digits of its id. */
export function netnsName(sandboxId: string): string {
  return `capstan-${sandboxId.slice(0, 16)}`;
}

export function netnsPath(name: string): string {
  return path.join(NETNS_DIR, name);
}

let ipPath: string | undefined;
/**
 * The `ip` binary by its absolute path, for commands run with a container's environment (whose
 * PATH is the pod's to choose); plain `ip` when it is in none of the usual places.
 */
export function ipCommand(): string {
  ipPath ??= ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
  return ipPath;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Creates the namespace unless it exists already; resolves to its path. */
export async function ensureNetns(name: string): Promise<string> {
  const p = netnsPath(name);
  if (await exists(p)) return p;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (e) {
    throw new Error(`cannot create network namespace ${name}: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`);
  }
  return p;
}

/**
 * Removes the namespace, and the files iproute2 mounts into it from /etc/netns/<name>/ (the process
 * runtime's per-pod hosts and resolv.conf), which `ip netns delete` leaves; a missing one is fine.
 */
export async function deleteNetns(name: string): Promise<void> {
  if (/^[\w.-]+$/.test(name) && name !== '.' && name !== '..') await rm(path.join('/etc/netns', name), { recursive: true, force: true });
  if (!(await exists(netnsPath(name)))) return;
  try {
    await run('ip', ['netns', 'delete', name]);
  } catch (e) {
    if (await exists(netnsPath(name))) throw new Error(`cannot delete network namespace ${name}: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`);
  }
}
