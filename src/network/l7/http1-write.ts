/**
 * HTTP/1.1 heads as the proxy's fast path writes them (pure): the upstream request head, the
 * response head the client gets, and the proxy's own answers. Field names are written lowercase
 * as node:http writes the header objects it is given, with the same connection fields node:http
 * adds (`connection: keep-alive` upstream; `keep-alive: timeout=75` to clients) and a `date` when
 * the backend sent none. Strings are latin1: one byte per character, as the parser read them.
 */
import { STATUS_CODES } from 'node:http';
import type { Framing, Headers } from './http1.js';

/** Seconds a client connection may idle between requests (nginx's keepalive_timeout default). */
export const keepAliveSeconds = 75;

let dateText = '';
let dateSecond = -1;

/** The current time as an HTTP date, recomputed at most once a second. */
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

function fields(headers: Headers): string {
  let out = '';
  for (const k in headers) {
    const v = headers[k];
    if (Array.isArray(v)) for (const x of v) out += `${k}: ${x}\r\n`;
    else if (v !== undefined) out += `${k}: ${v}\r\n`;
  }
  return out;
}

/** The request head sent to a backend (headers already rewritten; hop-by-hop fields removed). */
export function requestHeadText(method: string, target: string, headers: Headers, framing: Framing): string {
  return `${method} ${target} HTTP/1.1\r\n${fields(headers)}${framing.kind === 'chunked' ? 'transfer-encoding: chunked\r\n' : ''}connection: keep-alive\r\n\r\n`;
}

function connectionFields(keepAlive: boolean): string {
  return keepAlive ? `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveSeconds}\r\n\r\n` : 'connection: close\r\n\r\n';
}

/** The response head sent to the client (headers already rewritten; hop-by-hop fields removed). */
export function responseHeadText(status: number, headers: Headers, framing: Framing, keepAlive: boolean): string {
  const date = headers.date === undefined ? `date: ${httpDate()}\r\n` : '';
  const te = framing.kind === 'chunked' ? 'transfer-encoding: chunked\r\n' : '';
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n${fields(headers)}${date}${te}${connectionFields(keepAlive)}`;
}

/** An answer of the proxy's own (404, 503, a redirect, ...), with its HTML body unless `head`. */
export function answerText(status: number, body: string, extra: Headers, keepAlive: boolean, head: boolean): string {
  const h = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${fields(extra)}date: ${httpDate()}\r\n${connectionFields(keepAlive)}`;
  return head ? h : h + body;
}

/** The answer to a request head that cannot be parsed; the connection closes after it. */
export function rejectText(status: 400 | 431): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
}
