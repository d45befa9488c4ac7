/**
 * Fetches the agents' Summary API documents for the metrics API (metrics-server's scraper): the
 * agents of Ready nodes are asked in parallel, each with a timeout, through the API server's
 * agent connection; an answer (or a failure) is kept per node for a short while so that a burst
 * of requests costs one fetch. A node that fails or is not Ready is left out, as metrics-server
 * does. Nothing runs in the background: fetches happen on demand and end by their timeout.
 */
import type { IncomingMessage } from 'node:http';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../util/logger.js';
import { type NodeConnector, nodeEndpoint } from '../http/node-connection.js';
import type { NodeSummary } from './metrics-objects.js';

export const SUMMARY_PATH = '/stats/summary?only_cpu_and_memory=true';
/** A summary larger than this is refused (a node with thousands of pods stays well under it). */
const MAX_SUMMARY_BYTES = 32 * 1024 * 1024;

export type SummaryFetch = (node: Node, signal: AbortSignal) => Promise<NodeSummary>;

export interface SummaryCacheOptions {
  fetch: SummaryFetch;
  /** How long an answer is kept (default 10 s, the agents' sampling period). */
  ttlMs?: number;
  /** How long one agent may take (default 5 s). */
  timeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** Whether the node's Ready condition is True. */
export function isNodeReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

interface Entry {
  key: string;
  at: number;
  result: Promise<NodeSummary | undefined>;
}

export class SummaryCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: SummaryCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  private get ttl(): number {
    return this.opts.ttlMs ?? 10_000;
  }

  /** The summaries of the Ready nodes among `nodes` that answered, by node name. */
  async summaries(nodes: readonly Node[]): Promise<Map<string, NodeSummary>> {
    const ready = nodes.filter(isNodeReady);
    // Expired answers are of no further use (and nodes that went away leave nothing behind).
    const now = this.now();
    for (const [name, e] of this.entries) if (now - e.at >= this.ttl) this.entries.delete(name);
    const answers = await Promise.all(ready.map(async (n) => [n.metadata?.name ?? '', await this.summary(n)] as const));
    const out = new Map<string, NodeSummary>();
    for (const [name, s] of answers) if (s) out.set(name, s);
    return out;
  }

  private summary(node: Node): Promise<NodeSummary | undefined> {
    const name = node.metadata?.name ?? '';
    // A node whose agent moved (a new port after a restart) is asked again at once.
    const ep = (() => {
      try {
        const e = nodeEndpoint(node);
        return `${e.host}:${e.port}`;
      } catch {
        return '';
      }
    })();
    const now = this.now();
    const cached = this.entries.get(name);
    if (cached && cached.key === ep && now - cached.at < this.ttl) return cached.result;
    const result = this.fetchOne(node);
    this.entries.set(name, { key: ep, at: now, result });
    return result;
  }

  private async fetchOne(node: Node): Promise<NodeSummary | undefined> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${this.opts.timeoutMs ?? 5000}ms`)), this.opts.timeoutMs ?? 5000);
    try {
      return await this.opts.fetch(node, ac.signal);
    } catch (err) {
      this.opts.logger?.warn('failed to scrape node', { node: node.metadata?.name, error: ac.signal.aborted ? String(ac.signal.reason) : err instanceof Error ? err.message : String(err) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Fetches a node's summary from its agent through `connector`. */
export function agentSummaryFetch(connector: NodeConnector): SummaryFetch {
  return async (node, signal) => {
    const res = await connector.get(nodeEndpoint(node), SUMMARY_PATH, signal);
    const body = await readBody(res, MAX_SUMMARY_BYTES);
    if (res.statusCode !== 200) throw new Error(`request failed, status: ${res.statusCode}: ${body.slice(0, 200)}`);
    return parseSummary(body);
  };
}

/** Checks the shape of a summary just enough to read it safely. */
export function parseSummary(text: string): NodeSummary {
  const v = JSON.parse(text) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the summary is not an object');
  const s = v as Partial<NodeSummary>;
  if (!s.node || typeof s.node !== 'object') throw new Error('the summary has no node');
  if (s.pods !== undefined && !Array.isArray(s.pods)) throw new Error('the summary has malformed pods');
  const pods = (s.pods ?? []).filter((p) => p && typeof p === 'object' && p.podRef && typeof p.podRef.name === 'string' && typeof p.podRef.namespace === 'string');
  for (const p of pods) p.containers = Array.isArray(p.containers) ? p.containers.filter((c) => c && typeof c === 'object' && typeof c.name === 'string') : [];
  return { node: s.node, pods };
}

async function readBody(res: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new Error(`the summary is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
