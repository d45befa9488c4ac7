/**
 * The HTTP GET probe (pkg/probe/http, v1.32).
 *
 * - The request: `GET scheme://host:port/path`, no keep-alive, no certificate verification, the
 *   probe's headers (canonicalised as Go's http.Header does; a `Host` header overrides the
 *   request host), `User-Agent: kube-probe/1.32` and `Accept: *\/*` unless the probe sets them
 *   (an empty `Accept` removes it).
 * - Redirects to the same host name are followed (at most 10); a redirect elsewhere is not, and
 *   its 3xx response counts as a success with a warning.
 * - 200–399 is success (3xx with the "Probe terminated redirects" warning), anything else a failure.
 * - At most 10 KiB of the body is read; the timeout covers the whole exchange.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dialErrorText, joinHostPort } from './net-errors.js';
import type { ProbeOutcome } from './handlers.js';

/** The kubelet's probe User-Agent (`kube-probe/<major>.<minor>`). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';
/** Upstream maxRespBodyLength. */
export const MAX_PROBE_BODY_BYTES = 10 * 1024;
const MAX_REDIRECTS = 10;
const FOLLOWED_REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface HttpProbeRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** As written in the probe: may hold a query, may lack the leading slash. */
  path: string;
  headers: { name: string; value: string }[];
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-custom-header` → `X-Custom-Header`. */
export function canonicalHeaderName(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** The headers the kubelet sends, as an ordered multi-map keyed by canonical name. */
function probeHeaders(list: { name: string; value: string }[]): Map<string, string[]> {
  const h = new Map<string, string[]>();
  for (const { name, value } of list) {
    const key = canonicalHeaderName(name);
    h.set(key, [...(h.get(key) ?? []), value]);
  }
  if (!h.has('User-Agent')) h.set('User-Agent', [PROBE_USER_AGENT]);
  if (!h.has('Accept')) h.set('Accept', ['*/*']);
  else if ((h.get('Accept')?.[0] ?? '') === '') h.delete('Accept');
  return h;
}

/** The URL as Go's url.URL String prints it in error messages. */
function displayUrl(scheme: string, hostPort: string, path: string): string {
  const p = path.split('#')[0];
  return `${scheme}://${hostPort}${p !== '' && !p.startsWith('/') ? '/' : ''}${p}`;
}

const hostnameOf = (u: URL) => u.hostname.replace(/^\[(.*)\]$/, '$1');

interface Exchange {
  status: number;
  location: string | undefined;
  body: Buffer;
}

export async function httpProbe(req: HttpProbeRequest, timeoutMs: number): Promise<ProbeOutcome> {
  const headers = probeHeaders(req.headers);
  const hostOverride = headers.get('Host')?.[0] ?? '';
  headers.delete('Host');
  const firstDisplay = displayUrl(req.scheme, joinHostPort(req.host, req.port), req.path);
  const first = new URL(firstDisplay);

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    let url = first;
    let display = firstDisplay;
    let host = hostOverride;
    let referer: string | undefined;
    for (let redirects = 0; ; redirects++) {
      let ex: Exchange;
      try {
        // Go writes the URL's host as given, default port included (WHATWG URLs drop it).
        const hostHeader = host || (url === first ? joinHostPort(req.host, req.port) : url.host);
        ex = await exchange(url, headers, hostHeader, referer, deadline.signal);
      } catch (e) {
        return { result: 'failure', output: `Get "${display}": ${describeError(e, url, deadline.signal.aborted)}` };
      }
      const { status } = ex;
      if (FOLLOWED_REDIRECTS.has(status) && ex.location !== undefined) {
        let next: URL;
        try {
          next = new URL(ex.location, url);
        } catch {
          return { result: 'failure', output: `Get "${display}": failed to parse Location header ${JSON.stringify(ex.location)}` };
        }
        // Another host: stop and judge this response (Go's http.ErrUseLastResponse).
        if (hostnameOf(next) === hostnameOf(first)) {
          // Go's default check: refuse the redirect once 10 requests have been made; its error
          // names the Location as written.
          if (redirects + 1 >= MAX_REDIRECTS) return { result: 'failure', output: `Get "${ex.location}": stopped after ${MAX_REDIRECTS} redirects` };
          // A Host override survives only relative redirects (Go's client, issue 22233).
          host = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(ex.location) ? '' : hostOverride;
          referer = url.protocol === 'https:' && next.protocol === 'http:' ? undefined : url.href;
          url = next;
          display = next.href;
          continue;
        }
      }
      const body = ex.body.toString('utf8');
      if (status >= 200 && status < 300) return { result: 'success', output: body };
      if (status >= 300 && status < 400) return { result: 'success', output: `Probe terminated redirects, Response body: ${body}`, warning: true };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** One request/response, reading at most MAX_PROBE_BODY_BYTES of the body. */
function exchange(url: URL, headers: Map<string, string[]>, hostHeader: string, referer: string | undefined, signal: AbortSignal): Promise<Exchange> {
  const out: OutgoingHttpHeaders = { Host: hostHeader };
  for (const [k, v] of headers) out[k] = k === 'User-Agent' ? v[0] : v.length === 1 ? v[0] : v;
  if (referer !== undefined) out.Referer = referer;
  const options = {
    method: 'GET',
    host: hostnameOf(url),
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers: out,
    agent: false as const,
    signal,
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = url.protocol === 'https:' ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(e);
    };
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        if (settled) return;
        settled = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).subarray(0, MAX_PROBE_BODY_BYTES) });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_PROBE_BODY_BYTES) done(); // enough: the verdict is the status code
      });
      res.on('end', done);
      res.on('error', (e) => fail(new BodyReadError(e)));
      res.on('close', () => fail(new BodyReadError(new Error('unexpected EOF'))));
    });
    req.end();
  });
}

/** The connection broke (or the time ran out) while the body was being read. */
class BodyReadError extends Error {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

function describeError(e: unknown, url: URL, timedOut: boolean): string {
  if (timedOut) {
    return e instanceof BodyReadError
      ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)'
      : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  }
  if (e instanceof BodyReadError) return e.message;
  const err = e as { code?: string; syscall?: string; message?: string };
  if (err.syscall === 'connect' || err.syscall === 'getaddrinfo') return dialErrorText(hostnameOf(url), Number(url.port || (url.protocol === 'https:' ? 443 : 80)), e);
  if (err.code === 'ECONNRESET' && err.message === 'socket hang up') return 'EOF';
  if (err.code === 'ECONNRESET') return 'read: connection reset by peer';
  return err.message ?? String(e);
}
