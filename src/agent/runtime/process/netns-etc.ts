/**
 * A process-runtime pod's own /etc/hosts and /etc/resolv.conf in bridge mode. The runtime starts
 * containers and execs through `ip netns exec <name>` (../sandbox-network.ts netnsPrefix), which
 * gives each process a private mount namespace in which every file of /etc/netns/<name>/ is
 * bind-mounted over its namesake in /etc. The pod's files written there give its processes the
 * cluster DNS and the kubelet's managed hosts file; everything else they see is the host's, as
 * before. The directory is made with the sandbox and removed with it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolvConf, sandboxHostsFile } from '../pod-etc-files.js';
import type { SandboxRecord } from './state-store.js';

/** Where iproute2 looks for a named namespace's files. */
export const NETNS_ETC_DIR = '/etc/netns';

/** The sandbox's directory under `root`; undefined when it has no network namespace of its own. */
export function netnsEtcDir(rec: SandboxRecord, root = NETNS_ETC_DIR): string | undefined {
  return rec.network && !rec.config.hostNetwork ? path.join(root, path.basename(rec.network.netnsPath)) : undefined;
}

/**
 * What goes into the sandbox's directory: always its hosts file; a resolv.conf only when the
 * sandbox has a DNS config (without one the pod keeps the node's, as a sandbox-runtime pod does).
 */
export function netnsEtcFiles(rec: SandboxRecord, nodeHosts: string): Record<string, string> {
  const dns = rec.config.dns;
  const files: Record<string, string> = { hosts: sandboxHostsFile(rec, nodeHosts) };
  if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) files['resolv.conf'] = resolvConf(dns, '');
  return files;
}

/** Writes the sandbox's files (nothing for a sandbox on the node's network). */
export async function writeNetnsEtcFiles(rec: SandboxRecord, root = NETNS_ETC_DIR): Promise<void> {
  const dir = netnsEtcDir(rec, root);
  if (!dir) return;
  const nodeHosts = await readFile('/etc/hosts', 'utf8').catch(() => '');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(netnsEtcFiles(rec, nodeHosts))) await writeFile(path.join(dir, name), text, { mode: 0o644 });
}

/** Removes the sandbox's directory; a missing one is fine. /etc/netns itself stays (other namespaces may use it). */
export async function removeNetnsEtcFiles(rec: SandboxRecord, root = NETNS_ETC_DIR): Promise<void> {
  const dir = netnsEtcDir(rec, root);
  if (dir) await rm(dir, { recursive: true, force: true });
}
