/**
 * The TCP socket probe (pkg/probe/tcp): success when a connection opens within the timeout; the
 * connection is closed at once. A failure's output is Go's dial error text.
 */
import { connect } from 'node:net';
import { dialErrorText } from './net-errors.js';
import type { ProbeOutcome } from './handlers.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {}); // late errors after destroy are of no interest
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ result: 'failure', output: dialErrorText(host, port, undefined, true) }), timeoutMs);
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err) => finish({ result: 'failure', output: dialErrorText(host, port, err) }));
  });
}
