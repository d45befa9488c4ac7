/**
 * The nftables data plane (`--proxy-mode nftables`): keeps the agent's own table equal to the
 * latest plan. Each change is one `nft -f -` transaction, so the kernel never sees half a
 * ruleset: the first load, and the next after a failure, replace the whole table; later ones
 * change only the elements and chains that differ from the table in place (./nft-table.ts), which
 * keeps one Service's change cheap among thousands. A burst of plans while `nft` runs collapses
 * into one more run with the newest, and an unchanged table is not touched. A failed load is
 * logged and retried. Once a table is in place, the conntrack entries of UDP flows
 * to endpoints that stopped serving are deleted (./stale-udp-flows.ts) with the `conntrack`
 * command, where installed. `start()` looks at the host once (br_netfilter, `conntrack`);
 * `close()` removes the table. Only the table named in the options is ever touched.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { CoalescingRunner } from '../../util/coalescing-runner.js';
import type { Logger } from '../../util/logger.js';
import { bridgeMasquerade, NFT_TABLE, type NftBridge, type NftEntry, nftDeleteTable, nftTable } from './nft-ruleset.js';
import { deltaScript, fullScript, type NftTableModel } from './nft-table.js';
import { conntrackDeleteArgs, staleUdpFlows } from './stale-udp-flows.js';

/** Loads an nft script; rejects with nft's own message. */
export type NftRunner = (script: string) => Promise<void>;

export const runNft: NftRunner = (script) =>
  new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `nft exited with ${code}`))));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(script);
  });

/** Runs `conntrack` with these arguments; rejects with its message. */
export type ConntrackRunner = (args: string[]) => Promise<void>;

/** conntrack says so, and exits non-zero, when a delete matched nothing: not an error here. */
const NOTHING_DELETED = '0 flow entries have been deleted';

/** A runner of `command` (default the `conntrack` on PATH; tests prefix it with `ip netns exec`). */
export const conntrackRunner =
  (command: readonly string[] = ['conntrack']): ConntrackRunner =>
  (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 || stderr.includes(NOTHING_DELETED) ? resolve() : reject(new Error(stderr.trim() || `conntrack exited with ${code}`))));
    });

/** Whether the `conntrack` command (Debian package conntrack) runs. */
export function haveConntrack(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('conntrack', ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/** br_netfilter's switch for IPv4; undefined when the module is not loaded. */
export const readBridgeNfCallIptables = (): Promise<string | undefined> => readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').catch(() => undefined);

/** Why nftables mode cannot run on this machine, or undefined when it can (root and a working `nft`). */
export async function nftablesProblem(uid = process.getuid?.()): Promise<string | undefined> {
  if (uid !== 0) return 'it needs root';
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn('nft', ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  return ok ? undefined : 'the nft command (Debian package nftables) is not installed';
}

export interface NftProxierOptions {
  logger: Logger;
  /** The table's name (default capstan-proxy). */
  table?: string;
  /**
   * Bridge mode: the bridge and pod range whose DNATed connections are masqueraded. Unless
   * `hairpinOnly` is given, start() decides it from br_netfilter (bridgeMasquerade).
   */
  bridge?: NftBridge;
  nft?: NftRunner;
  /** Deletes conntrack entries; unless given, start() uses the `conntrack` command where installed. */
  conntrack?: ConntrackRunner;
  /** Reads bridge-nf-call-iptables (tests); default the /proc file. */
  readBridgeNfCallIptables?: () => Promise<string | undefined>;
  /** Makes a ClusterIP local before rules for it are loaded (bridge mode: an address on lo). */
  ensureLocalAddress?: (ip: string) => void | Promise<void>;
  /** Delay before a failed load is tried again (default 5 s). */
  retryMs?: number;
}

export class NftProxier {
  private wanted?: { entries: NftEntry[]; table: NftTableModel };
  /** The table in the kernel, as last loaded; undefined before the first load and after a failure. */
  private applied?: NftTableModel;
  /** The entries whose stale UDP flows were dealt with (those of the table in place). */
  private appliedEntries: NftEntry[] = [];
  private closed = false;
  private loads = 0;
  private flushes = 0;
  private bridge?: NftBridge;
  private conntrack?: ConntrackRunner;
  private readonly nft: NftRunner;
  private readonly runner: CoalescingRunner;

  constructor(private readonly opts: NftProxierOptions) {
    this.nft = opts.nft ?? runNft;
    this.bridge = opts.bridge;
    this.conntrack = opts.conntrack;
    this.runner = new CoalescingRunner(() => this.sync(), { retryMs: opts.retryMs ?? 5000 });
  }

  /** Looks at the host once, before the first apply: br_netfilter (bridge mode) and `conntrack`. */
  async start(): Promise<void> {
    const log = this.opts.logger;
    if (this.bridge && this.bridge.hairpinOnly === undefined) {
      const { hairpinOnly, why } = bridgeMasquerade(await (this.opts.readBridgeNfCallIptables ?? readBridgeNfCallIptables)());
      this.bridge = { ...this.bridge, hairpinOnly };
      if (hairpinOnly) log.info('nftables service proxy masquerades only hairpin connections', { why });
      else log.warn('nftables service proxy masquerades every pod connection through a Service', { why });
    }
    if (!this.conntrack && (await haveConntrack())) this.conntrack = conntrackRunner();
    if (!this.conntrack) log.warn("the conntrack command (Debian package conntrack) is not installed: UDP flows to removed endpoints keep going there until the kernel's UDP conntrack timeout");
  }

  /** Asks for the table to hold `entries`; loaded asynchronously, coalesced with later calls. */
  apply(entries: NftEntry[]): void {
    if (this.closed) return;
    this.wanted = { entries, table: nftTable(entries, { table: this.opts.table, bridge: this.bridge }) };
    this.runner.kick();
  }

  /** How many transactions were loaded successfully. */
  loadCount(): number {
    return this.loads;
  }

  /** How many stale UDP flows were deleted (conntrack commands that succeeded). */
  flushCount(): number {
    return this.flushes;
  }

  /** Resolves once the latest plan is loaded, or its load failed (and a retry is scheduled). */
  async settled(): Promise<void> {
    await this.runner.settled();
  }

  /** Stops loading and removes the table. */
  async close(): Promise<void> {
    this.closed = true;
    await this.runner.close();
    await this.nft(nftDeleteTable(this.opts.table ?? NFT_TABLE)).catch((e: Error) => this.opts.logger.warn('cannot remove the nftables table', { table: this.opts.table ?? NFT_TABLE, error: e.message }));
  }

  /** One pass: loads the newest ruleset unless in place, then deletes the flows it made stale. */
  private async sync(): Promise<void> {
    if (this.closed || !this.wanted) return;
    const { entries, table } = this.wanted;
    const script = this.applied ? (deltaScript(this.applied, table) ?? fullScript(table)) : fullScript(table);
    if (script !== '') {
      try {
        for (const e of entries) if (e.kind === 'ClusterIP') await this.opts.ensureLocalAddress?.(e.ip);
        await this.nft(script);
      } catch (e) {
        this.applied = undefined;
        this.opts.logger.error('cannot load the service proxy nftables rules, will retry', { error: (e as Error).message });
        this.runner.retryLater();
        return;
      }
      this.applied = table;
      this.loads++;
      this.opts.logger.debug('service proxy nftables rules loaded', { entries: entries.length });
    }
    const stale = staleUdpFlows(this.appliedEntries, entries);
    this.appliedEntries = entries;
    if (!this.conntrack) return;
    for (const f of stale) {
      try {
        await this.conntrack(conntrackDeleteArgs(f));
        this.flushes++;
      } catch (e) {
        this.opts.logger.warn('cannot delete the conntrack entries of a removed UDP endpoint', { address: `${f.ip}:${f.port}`, endpoint: `${f.endpoint.ip}:${f.endpoint.port}`, error: (e as Error).message });
      }
    }
    if (stale.length) this.opts.logger.debug('deleted conntrack entries of removed UDP endpoints', { flows: stale.length });
  }
}
