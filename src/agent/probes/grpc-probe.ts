/**
 * The gRPC probe (pkg/probe/grpc, v1.32): one unary call of `grpc.health.v1.Health/Check` over
 * cleartext HTTP/2, success when the answer is SERVING. Outputs are the kubelet's.
 *
 * The health messages are small enough to code by hand:
 *   HealthCheckRequest  { string service = 1; }
 *   HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN
 * each sent in the gRPC length-prefixed frame (1 byte compressed flag, 4 bytes big-endian length).
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { STATUS_CODES } from 'node:http';
import { goDuration, joinHostPort } from './net-errors.js';
import { PROBE_USER_AGENT } from './http-probe.js';
import type { ProbeOutcome } from './handlers.js';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** gRPC status code names, by number, as grpc-go's codes.Code String prints them. */
export const GRPC_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];
const CODE = { Unknown: 2, DeadlineExceeded: 4, Unimplemented: 12, Internal: 13, Unavailable: 14 };

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** Reads a varint (up to 64 bits, returned as a bigint) at `pos`. */
function readVarint(buf: Uint8Array, pos: number): { value: bigint; next: number } {
  let value = 0n;
  for (let shift = 0n, i = pos; i < buf.length && shift < 70n; i++, shift += 7n) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error('proto: bad varint');
}

/** A HealthCheckRequest message (protobuf wire format, no frame). */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...encodeVarint(bytes.length)]), bytes]);
}

/** Decodes a HealthCheckRequest: its `service` (empty when absent). */
export function decodeHealthCheckRequest(buf: Uint8Array): string {
  let service = '';
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 2) service = Buffer.from(value as Uint8Array).toString('utf8');
  });
  return service;
}

/** A HealthCheckResponse message. */
export function encodeHealthCheckResponse(status: number): Buffer {
  return status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...encodeVarint(status)]);
}

/** Decodes a HealthCheckResponse: its status number (0, UNKNOWN, when absent). */
export function decodeHealthCheckResponse(buf: Uint8Array): number {
  let status = 0;
  forEachField(buf, (field, wire, value) => {
    if (field === 1 && wire === 0) status = Number(BigInt.asIntN(32, value as bigint));
  });
  return status;
}

/** Walks the fields of a protobuf message, skipping what it does not know; throws when malformed. */
function forEachField(buf: Uint8Array, visit: (field: number, wire: number, value: bigint | Uint8Array) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const key = readVarint(buf, pos);
    pos = key.next;
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    if (field === 0) throw new Error('proto: illegal field number 0');
    if (wire === 0) {
      const v = readVarint(buf, pos);
      pos = v.next;
      visit(field, wire, v.value);
    } else if (wire === 2) {
      const len = readVarint(buf, pos);
      const end = len.next + Number(len.value);
      if (end > buf.length) throw new Error('proto: unexpected EOF');
      visit(field, wire, buf.subarray(len.next, end));
      pos = end;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw new Error('proto: unexpected EOF');
    } else {
      throw new Error(`proto: cannot parse reserved wire type ${wire}`);
    }
  }
}

/** Wraps a message in the gRPC length-prefixed frame. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** grpc-go's mapping of a non-200 HTTP status to a gRPC code. */
function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return CODE.Internal;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return CODE.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return CODE.Unavailable;
    default:
      return CODE.Unknown;
  }
}

/** `grpc-message` is percent-encoded on the wire. */
function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw[0] : (raw ?? '');
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export async function grpcProbe(host: string, port: number, service: string, timeoutSeconds: number): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const within = goDuration(timeoutSeconds);
  const rpcError = (code: number, desc: string): ProbeOutcome => {
    if (code === CODE.Unimplemented) return { result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${desc}` };
    if (code === CODE.DeadlineExceeded) return { result: 'failure', output: `timeout: health rpc did not complete within ${within}` };
    return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GRPC_CODE_NAMES[code] ?? `Code(${code})`} desc = ${desc}` };
  };
  // grpc-go's blocking dial keeps trying until the deadline and then reports it; a refused
  // connection is reported at once here, with the same words.
  const connectFailed: ProbeOutcome = { result: 'failure', output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${within}: context deadline exceeded` };

  let session: ClientHttp2Session | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ProbeOutcome>((resolve) => {
      let connected = false;
      timer = setTimeout(() => resolve(connected ? rpcError(CODE.DeadlineExceeded, '') : connectFailed), timeoutSeconds * 1000);
      session = connect(`http://${addr}`);
      session.on('error', (e) => resolve(connected ? rpcError(CODE.Unavailable, (e as Error).message) : connectFailed));
      session.once('connect', () => {
        connected = true;
      });
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: HEALTH_CHECK_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': PROBE_USER_AGENT,
        'grpc-timeout': `${timeoutSeconds * 1000}m`,
      });
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      stream.on('error', (e) => resolve(connected ? rpcError(CODE.Unavailable, (e as Error).message) : connectFailed));
      stream.on('end', () => resolve(verdict(headers, trailers, Buffer.concat(chunks), size)));
      stream.end(grpcFrame(encodeHealthCheckRequest(service)));
    });
  } finally {
    clearTimeout(timer);
    session?.destroy();
  }

  function verdict(headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders, body: Buffer, size: number): ProbeOutcome {
    const httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
    if (httpStatus !== 200) {
      return rpcError(codeForHttpStatus(httpStatus), `unexpected HTTP status code received from server: ${httpStatus} (${STATUS_CODES[httpStatus] ?? ''})`);
    }
    // A trailers-only answer carries its status in the headers.
    const statusHeader = trailers['grpc-status'] ?? headers['grpc-status'];
    const message = decodeGrpcMessage(trailers['grpc-message'] ?? headers['grpc-message']);
    if (statusHeader === undefined) return rpcError(CODE.Internal, 'server closed the stream without sending trailers');
    const code = Number(statusHeader);
    if (code !== 0) return rpcError(code, message);
    if (size > MAX_RESPONSE_BYTES) return rpcError(8, `grpc: received message larger than max (${size} vs. ${MAX_RESPONSE_BYTES})`);
    if (body.length < 5) return rpcError(CODE.Internal, 'cardinality violation: received no response message from non-streaming RPC');
    const length = body.readUInt32BE(1);
    if (body[0] !== 0) return rpcError(CODE.Internal, 'grpc: compressed message received without a negotiated encoding');
    if (body.length < 5 + length) return rpcError(CODE.Internal, 'grpc: received a truncated message');
    let status: number;
    try {
      status = decodeHealthCheckResponse(body.subarray(5, 5 + length));
    } catch (e) {
      return rpcError(CODE.Internal, `grpc: failed to unmarshal the received message: ${(e as Error).message}`);
    }
    if (status !== 1) return { result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS[status] ?? String(status))})` };
    return { result: 'success', output: 'service healthy' };
  }
}
