/**
 * Network failures worded as Go's net package words them, so that probe outputs (and the events
 * built from them) read like the kubelet's: `dial tcp 10.42.0.7:8080: connect: connection refused`.
 */

/** Go's syscall.Errno strings for the errors a dial meets. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EPIPE: 'broken pipe',
};

/** `host:port`, bracketing IPv6 literals (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A Node.js system error, as far as these messages need it. */
interface SystemError {
  code?: string;
  syscall?: string;
  message?: string;
}

/**
 * The text of Go's *net.OpError for a failed TCP dial to `host:port`; `timedOut` when the dial
 * ran out of time.
 */
export function dialErrorText(host: string, port: number, err: unknown, timedOut = false): string {
  const addr = joinHostPort(host, port);
  if (timedOut) return `dial tcp ${addr}: i/o timeout`;
  const e = (err ?? {}) as SystemError;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.syscall === 'getaddrinfo') {
    return `dial tcp: lookup ${host}: ${e.code === 'EAI_AGAIN' ? 'temporary failure in name resolution' : 'no such host'}`;
  }
  const text = (e.code && ERRNO_TEXT[e.code]) || e.message || String(err);
  const op = e.syscall === 'connect' || (e.code !== undefined && e.code in ERRNO_TEXT && e.code !== 'ECONNRESET') ? 'connect: ' : '';
  return `dial tcp ${addr}: ${op}${text}`;
}

/** Go's time.Duration String for whole seconds: `1s`, `1m30s`, `1h0m0s`. */
export function goDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
