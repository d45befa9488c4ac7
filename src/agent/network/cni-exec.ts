/**
 * Runs one CNI plugin as the CNI spec's "Execution Protocol" says: the plugin executable found on
 * CNI_PATH by its `type`, parameters in CNI_* environment variables, the network configuration on
 * stdin, the result (or an error object) on stdout.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { CniError, cniEnvironment, cniFailure } from './cni-config.js';

export interface CniInvocation {
  command: 'ADD' | 'DEL' | 'CHECK';
  containerId: string;
  netns: string;
  ifName: string;
  /** Directories searched for the plugin (CNI_PATH). */
  cniPath: string[];
  config: Record<string, unknown>;
  timeoutMs?: number;
}

async function findPlugin(type: string, dirs: string[]): Promise<string> {
  for (const dir of dirs) {
    const file = path.join(dir, type);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  throw new CniError(`failed to find plugin "${type}" in path [${dirs.join(' ')}]`);
}

/** The plugin's stdout on success; throws CniError with the plugin's own message on failure. */
export async function invokeCniPlugin(inv: CniInvocation): Promise<string> {
  const type = String(inv.config.type ?? '');
  const file = await findPlugin(type, inv.cniPath);
  const env = cniEnvironment({ command: inv.command, containerId: inv.containerId, netns: inv.netns, ifName: inv.ifName, path: inv.cniPath });
  return new Promise<string>((resolve, reject) => {
    const child = spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), inv.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CniError(`plugin type="${type}" could not run: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(cniFailure(type, inv.command, stdout, Buffer.concat(err).toString('utf8'), code));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(inv.config));
  });
}
