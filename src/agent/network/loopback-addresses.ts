/**
 * Service ClusterIPs on the host's loopback interface (bridge network mode, DESIGN.md §2.7): the
 * service proxy listens on each ClusterIP, so the address must be local; pods reach it through
 * their route to the service range via the bridge. Addresses are added once (`ip addr replace`
 * is idempotent) and removed when the agent stops; an address whose Service went away stays until
 * then, with nothing listening on it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../../util/logger.js';

const run = promisify(execFile);

export class LoopbackAddresses {
  private readonly added = new Set<string>();

  constructor(private readonly logger: Logger) {}

  async ensure(ip: string): Promise<void> {
    if (this.added.has(ip) || ip.startsWith('127.')) return;
    await run('ip', ['addr', 'replace', `${ip}/32`, 'dev', 'lo']);
    this.added.add(ip);
  }

  async removeAll(): Promise<void> {
    for (const ip of this.added) {
      await run('ip', ['addr', 'del', `${ip}/32`, 'dev', 'lo']).catch((e: Error) => this.logger.warn('cannot remove a service address from lo', { ip, error: e.message }));
    }
    this.added.clear();
  }
}
