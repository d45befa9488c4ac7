/**
 * A sandbox pod's own /etc/hosts, /etc/resolv.conf and /etc/hostname: written once per pod into
 * its directory and bind-mounted into each of its containers. A pod without a network namespace
 * of its own (host network, or host mode) gets the node's hosts file, as a host-network pod does
 * from the kubelet.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxRecord } from '../process/state-store.js';
import { resolvConf, sandboxHostsFile } from '../pod-etc-files.js';

const POD_FILES = [
  { file: 'hosts', containerPath: '/etc/hosts' },
  { file: 'resolv.conf', containerPath: '/etc/resolv.conf' },
  { file: 'hostname', containerPath: '/etc/hostname' },
] as const;

/** The bind mounts of the pod files in `dir`. */
export function podFileMounts(dir: string): { containerPath: string; hostPath: string }[] {
  return POD_FILES.map((f) => ({ containerPath: f.containerPath, hostPath: path.join(dir, f.file) }));
}

/** Writes the pod files of sandbox `rec` into `dir` (resolv.conf from the sandbox's DNS config, else the host's). */
export async function writePodFiles(dir: string, rec: SandboxRecord): Promise<void> {
  await mkdir(dir, { recursive: true });
  const [hostHosts, hostResolv] = await Promise.all([readFile('/etc/hosts', 'utf8').catch(() => ''), readFile('/etc/resolv.conf', 'utf8').catch(() => '')]);
  await writeFile(path.join(dir, 'hosts'), sandboxHostsFile(rec, hostHosts));
  await writeFile(path.join(dir, 'resolv.conf'), resolvConf(rec.config.dns, hostResolv));
  await writeFile(path.join(dir, 'hostname'), `${rec.config.hostname}\n`);
}
