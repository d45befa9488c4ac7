/**
 * Picks the agent's pod network mode (DESIGN.md §2.7): `bridge` when the agent runs as root and
 * the CNI bridge, host-local and loopback plugins are installed, else `host`. Pure; the caller
 * finds the plugins (findCniPlugins) and logs the reason.
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { REQUIRED_PLUGINS, cniSearchPath } from './cni-config.js';

export type NetworkWanted = 'auto' | 'bridge' | 'host';
export type NetworkChoice = { mode: 'bridge'; cniPath: string[]; why: string } | { mode: 'host'; why: string };

/** `iproute` says whether `ip` (iproute2, which makes the namespaces) is installed; unknown counts as yes. */
export function chooseNetworkMode(want: NetworkWanted, host: { uid: number | undefined; plugins: Record<string, string | undefined>; iproute?: boolean }): NetworkChoice {
  const missing = REQUIRED_PLUGINS.filter((p) => !host.plugins[p]);
  const problem =
    host.uid !== 0 ? 'the agent does not run as root'
    : missing.length ? `the CNI plugins ${missing.join(', ')} are not installed`
    : host.iproute === false ? 'iproute2 (ip) is not installed'
    : undefined;
  if (want === 'host') return { mode: 'host', why: 'asked for' };
  if (problem) {
    if (want === 'bridge') throw new Error(`bridge networking cannot run here: ${problem}`);
    return { mode: 'host', why: problem };
  }
  const dirs = [...new Set(REQUIRED_PLUGINS.map((p) => path.dirname(host.plugins[p]!)))];
  return { mode: 'bridge', cniPath: dirs, why: want === 'bridge' ? 'asked for' : `running as root with the CNI plugins in ${dirs.join(', ')}` };
}

/** Each required plugin's executable, from the first directory of the search path that has it. */
export async function findCniPlugins(binDir?: string): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const name of REQUIRED_PLUGINS) {
    for (const dir of cniSearchPath(binDir)) {
      const file = path.join(dir, name);
      if (await access(file, constants.X_OK).then(() => true, () => false)) {
        out[name] = file;
        break;
      }
    }
  }
  return out;
}

/** Whether `ip` is on the usual system paths. */
export async function haveIproute(): Promise<boolean> {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (await access(path.join(dir, 'ip'), constants.X_OK).then(() => true, () => false)) return true;
  return false;
}

export function parseNetworkFlag(v: string | undefined): NetworkWanted {
  if (v === undefined || v === 'auto' || v === 'bridge' || v === 'host') return v ?? 'auto';
  throw new Error(`invalid --network ${JSON.stringify(v)}: must be auto, bridge or host`);
}
