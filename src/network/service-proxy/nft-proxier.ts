/**
 * The nftables data plane (`--proxy-mode nftables`): keeps the agent's own table equal to the
 * latest plan. Each change is one `nft -f -` transaction that replaces the whole table
 * (./nft-ruleset.ts), so the kernel never sees half a ruleset; a burst of plans while `nft` runs
 * collapses into one more run with the newest, and an unchanged ruleset is not loaded again. A
 * failed load is logged and retried. `close()` removes the table. Only the table named in the
 * options is ever touched.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../../util/logger.js';
import { NFT_TABLE, type NftEntry, nftDeleteTable, nftRuleset, type NftRulesetOptions } from './nft-ruleset.js';

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

export interface NftProxierOptions extends NftRulesetOptions {
  logger: Logger;
  nft?: NftRunner;
  /** Makes a ClusterIP local before rules for it are loaded (bridge mode: an address on lo). */
  ensureLocalAddress?: (ip: string) => void | Promise<void>;
  /** Delay before a failed load is tried again (default 5 s). */
  retryMs?: number;
}

export class NftProxier {
  private wanted?: NftEntry[];
  private wantedText?: string;
  private appliedText?: string;
  private running?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private loads = 0;
  private readonly nft: NftRunner;

  constructor(private readonly opts: NftProxierOptions) {
    this.nft = opts.nft ?? runNft;
  }

  /** Asks for the table to hold `entries`; loaded asynchronously, coalesced with later calls. */
  apply(entries: NftEntry[]): void {
    if (this.closed) return;
    this.wanted = entries;
    this.wantedText = nftRuleset(entries, this.opts);
    this.kick();
  }

  /** How many transactions were loaded successfully. */
  loadCount(): number {
    return this.loads;
  }

  /** Resolves once the latest plan is loaded, or its load failed (and a retry is scheduled). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops loading and removes the table. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.settled();
    await this.nft(nftDeleteTable(this.opts.table ?? NFT_TABLE)).catch((e: Error) => this.opts.logger.warn('cannot remove the nftables table', { table: this.opts.table ?? NFT_TABLE, error: e.message }));
  }

  private kick(): void {
    if (this.running || this.closed) return;
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (!this.closed && this.wantedText !== undefined && this.wantedText !== this.appliedText) {
      const [entries, text] = [this.wanted!, this.wantedText];
      try {
        for (const e of entries) if (e.kind === 'ClusterIP') await this.opts.ensureLocalAddress?.(e.ip);
        await this.nft(text);
      } catch (e) {
        this.appliedText = undefined;
        this.opts.logger.error('cannot load the service proxy nftables rules, will retry', { error: (e as Error).message });
        if (!this.retryTimer && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
          }, this.opts.retryMs ?? 5000);
          this.retryTimer.unref();
        }
        return;
      }
      this.appliedText = text;
      this.loads++;
      this.opts.logger.debug('service proxy nftables rules loaded', { entries: entries.length });
    }
  }
}
