/**
 * Where and as whom an API client connects: explicit settings, or the current context of a
 * kubeconfig file (clientcmd's subset that Capstan writes and kubectl users commonly have:
 * server, CA data or file, insecure-skip-tls-verify, bearer token or token file, client cert/key).
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { dirname, resolve } from 'node:path';

export interface ClientConfig {
  /** `https://host:port` (plain `http://` is accepted for tests). */
  server: string;
  /** PEM of the CA that signs the server's certificate; the system roots when absent. */
  caPem?: string;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  insecureSkipTlsVerify?: boolean;
  userAgent?: string;
  /** Default namespace of the kubeconfig context, if any. */
  namespace?: string;
  /**
   * An in-process connection to the API server (components inside `capstan server`): requests go
   * over it as plain HTTP, still with the token, instead of TLS over TCP; `server` only names it.
   */
  connect?: () => Duplex;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  value?: T;
}

const b64 = (s: unknown): string | undefined => (typeof s === 'string' && s ? Buffer.from(s, 'base64').toString('utf8') : undefined);

/**
 * Reads a kubeconfig and resolves `context` (default: `current-context`) into a ClientConfig.
 * Relative file references resolve against the kubeconfig's directory, as clientcmd does.
 */
export async function loadKubeconfig(path: string, context?: string): Promise<ClientConfig> {
  const text = await readFile(path, 'utf8');
  // Loaded on first use: processes that never read a kubeconfig (the agent given --server) skip it.
  const { parse } = await import('yaml');
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const pick = <T>(list: unknown, name: string | undefined, field: string, what: string): T => {
    const found = (Array.isArray(list) ? (list as Named<T>[]) : []).find((e) => e?.name === name);
    if (!found) throw new Error(`kubeconfig ${path}: ${what} ${JSON.stringify(name ?? '')} not found`);
    return (found[field] ?? {}) as T;
  };
  const ctxName = context ?? (doc['current-context'] as string | undefined);
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context`);
  const ctx = pick<{ cluster?: string; user?: string; namespace?: string }>(doc.contexts, ctxName, 'context', 'context');
  const cluster = pick<Record<string, unknown>>(doc.clusters, ctx.cluster, 'cluster', 'cluster');
  const user = ctx.user ? pick<Record<string, unknown>>(doc.users, ctx.user, 'user', 'user') : {};
  const base = dirname(resolve(path));
  const file = async (p: unknown) => (typeof p === 'string' && p ? readFile(resolve(base, p), 'utf8') : undefined);

  if (typeof cluster.server !== 'string' || !cluster.server) throw new Error(`kubeconfig ${path}: cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const cfg: ClientConfig = { server: cluster.server.replace(/\/+$/, '') };
  const ca = b64(cluster['certificate-authority-data']) ?? (await file(cluster['certificate-authority']));
  if (ca) cfg.caPem = ca;
  if (cluster['insecure-skip-tls-verify'] === true) cfg.insecureSkipTlsVerify = true;
  const token = (typeof user.token === 'string' && user.token) || (await file(user.tokenFile))?.trim();
  if (token) cfg.token = token;
  const cert = b64(user['client-certificate-data']) ?? (await file(user['client-certificate']));
  const key = b64(user['client-key-data']) ?? (await file(user['client-key']));
  if (cert && key) {
    cfg.clientCertPem = cert;
    cfg.clientKeyPem = key;
  }
  if (ctx.namespace) cfg.namespace = ctx.namespace;
  return cfg;
}
