/**
 * The network part of a sandbox's life, shared by the process and sandbox runtimes: a sandbox
 * that does not share the node's network gets its own namespace and address when it is created
 * and gives them back when it is stopped (or removed without being stopped), as a CRI runtime
 * does around its CNI calls. Without a PodNetwork (`host` mode) every sandbox shares the node's.
 */
import path from 'node:path';
import { ipCommand } from '../network/netns.js';
import type { PodNetwork } from '../network/pod-network.js';
import type { SandboxRecord } from './process/state-store.js';
import { errorMessage } from './process/state-store.js';
import { RuntimeError } from './runtime.js';

/** Sets up the record's network when it needs one of its own. */
export async function attachSandboxNetwork(network: PodNetwork | undefined, rec: SandboxRecord): Promise<void> {
  if (!network || rec.config.hostNetwork) return;
  try {
    rec.network = await network.setUp(rec.id);
  } catch (err) {
    const m = rec.config.metadata;
    throw new RuntimeError('Unavailable', `failed to set up network for sandbox of pod ${m.namespace}/${m.name}: ${errorMessage(err)}`);
  }
}

/** Tears the record's network down once; true when the record changed. */
export async function detachSandboxNetwork(network: PodNetwork | undefined, rec: SandboxRecord): Promise<boolean> {
  if (!rec.network || rec.networkReleased) return false;
  if (!network) throw new RuntimeError('Unavailable', `pod sandbox ${rec.id} has a network namespace but the agent runs without bridge networking: cannot release it`);
  try {
    await network.tearDown(rec.id, rec.network);
  } catch (err) {
    throw new RuntimeError('Unavailable', `failed to tear down network of pod sandbox ${rec.id}: ${errorMessage(err)}`);
  }
  rec.networkReleased = true;
  return true;
}

/**
 * For a runtime re-reading its state (a restarted agent): runs CNI CHECK on every ready sandbox's
 * network and reports the ones that are broken (the pod keeps its record; its containers may
 * have lost their network).
 */
export async function checkSandboxNetworks(network: PodNetwork | undefined, sandboxes: SandboxRecord[], warn: (msg: string, fields: Record<string, unknown>) => void): Promise<void> {
  if (!network) return;
  for (const rec of sandboxes) {
    if (rec.state !== 'SANDBOX_READY' || !rec.network || rec.networkReleased) continue;
    try {
      await network.check(rec.id, rec.network);
    } catch (err) {
      const m = rec.config.metadata;
      warn('pod network check failed', { pod: `${m.namespace}/${m.name}`, sandbox: rec.id, error: errorMessage(err) });
    }
  }
}

/**
 * The command prefix that runs a process in the sandbox's network namespace (none for host
 * network): `ip netns exec <name>`, which also gives the process a private mount namespace where
 * the namespace's files in /etc/netns/<name>/ (the pod's hosts and resolv.conf, written by the
 * process runtime) cover the host's.
 */
export function netnsPrefix(rec: SandboxRecord | undefined): string[] {
  return rec?.network ? [ipCommand(), 'netns', 'exec', path.basename(rec.network.netnsPath)] : [];
}
