/** Writing responses: JSON bodies, Status errors, and the Warning header. */
import type { ServerResponse } from 'node:http';
import { StatusError, internal } from '../../api/errors.js';

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

export function sendRaw(res: ServerResponse, code: number, body: string | Buffer, contentType: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendStatusError(res: ServerResponse, err: unknown): void {
  const se = err instanceof StatusError ? err : internal(err instanceof Error ? err.message : String(err));
  sendJson(res, se.code, se.toStatus());
}

/** `Warning: 299 - "text"` headers, as kube-apiserver sends them. */
export function addWarnings(res: ServerResponse, warnings: string[]): void {
  if (!warnings.length || res.headersSent) return;
  const existing = res.getHeader('Warning');
  const prev = Array.isArray(existing) ? existing : existing ? [String(existing)] : [];
  res.setHeader('Warning', [...prev, ...warnings.map((w) => `299 - ${JSON.stringify(w)}`)]);
}
