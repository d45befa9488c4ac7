/**
 * For tests: a bridge-mode pod network on a bridge of the test's own, or the reason it cannot run
 * here (not root, CNI plugins or iproute2 missing). `cleanup` deletes the bridge and host-local's
 * state; the test must have torn down its sandboxes first.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chooseNetworkMode, findCniPlugins, haveIproute } from './mode.js';
import { CniPodNetwork } from './pod-network.js';

const run = promisify(execFile);

/** Why bridge networking cannot be tested here; false when it can. */
export async function bridgeUnavailable(): Promise<string | false> {
  try {
    const c = chooseNetworkMode('auto', { uid: process.getuid?.(), plugins: await findCniPlugins(), iproute: await haveIproute() });
    if (c.mode !== 'bridge') return `bridge networking unavailable: ${c.why}`;
    await run('nsenter', ['--version']);
    return false;
  } catch (e) {
    return `bridge networking unavailable: ${(e as Error).message}`;
  }
}

export interface TestNetwork {
  network: CniPodNetwork;
  podCidr: string;
  bridgeName: string;
  ipamDir: string;
  cleanup: () => Promise<void>;
}

/** A network on bridge `bridgeName` (at most 15 characters) handing out addresses from `podCidr`. */
export async function testPodNetwork(bridgeName: string, podCidr: string): Promise<TestNetwork> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-test-net-'));
  const plugins = await findCniPlugins();
  const ipamDir = path.join(dir, 'ipam');
  const network = new CniPodNetwork({
    cniPath: [...new Set(Object.values(plugins).map((p) => path.dirname(p!)))],
    ipamDataDir: ipamDir,
    podCidr: () => podCidr,
    clusterCidr: '10.42.0.0/16',
    serviceCidr: '10.43.0.0/16',
    nodeIPs: () => [],
    bridgeName,
  });
  return {
    network,
    podCidr,
    bridgeName,
    ipamDir,
    cleanup: async () => {
      await run('ip', ['link', 'delete', bridgeName]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
