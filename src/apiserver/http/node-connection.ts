/**
 * How the API server reaches a node agent (upstream's kubelet client): HTTPS to the node's
 * InternalIP (else its first address) at `status.daemonEndpoints.kubeletEndpoint.Port`, presenting
 * the API server's client certificate. The agent's self-signed serving certificate is not verified,
 * as upstream does by default without --kubelet-certificate-authority.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Node } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ClientCertificate } from '../auth/tls.js';

export interface NodeEndpoint {
  host: string;
  port: number;
}

/** Where the node's agent listens; throws a 400 Status in upstream's words when it cannot be told. */
export function nodeEndpoint(node: Node): NodeEndpoint {
  const addrs = node.status?.addresses ?? [];
  const host = (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'Hostname'))?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host) throw new StatusError(400, 'BadRequest', `no preferred addresses found; known addresses: [${addrs.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
  if (!port) throw new StatusError(400, 'BadRequest', `node ${node.metadata?.name} does not report a kubelet endpoint port`);
  return { host, port };
}

export class NodeConnector {
  constructor(private readonly cert: ClientCertificate | undefined) {}

  /** GET `path` on the node's agent; the response streams back to the caller. */
  get(ep: NodeEndpoint, path: string, signal?: AbortSignal): Promise<IncomingMessage> {
    if (!this.cert) return Promise.reject(new StatusError(503, 'ServiceUnavailable', 'the API server has no client certificate for node agents'));
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: ep.host, port: ep.port, path, method: 'GET', cert: this.cert!.certPem, key: this.cert!.keyPem, rejectUnauthorized: false, signal }, resolve);
      req.on('error', (e) => reject(new StatusError(500, 'InternalError', `Get "https://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}${path}": ${e.message}`)));
      req.end();
    });
  }
}
