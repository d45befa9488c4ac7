/**
 * Starting the built-in Ingress controller inside `capstan server`: the `capstan` IngressClass,
 * the fake default certificate, a proxy engine over the cluster's EndpointSlices, and the
 * controller feeding it. The engine is returned so that other producers (the Gateway API
 * implementation) can serve their listeners on it with `setPart`.
 */
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import { ApiEventRecorder } from '../../controllers/events.js';
import type { Logger } from '../../util/logger.js';
import { InformerEndpointSource } from '../l7/endpoints.js';
import { ProxyEngine } from '../l7/proxy-engine.js';
import { generateFakeCertificate } from './fake-certificate.js';
import type { TlsCertificate } from '../l7/route-table.js';
import { ensureIngressClass } from './ingress-class.js';
import { createIngressController } from './ingress-controller.js';

export interface IngressStartOptions {
  logger: Logger;
  address: string;
  httpPort: number;
  httpsPort: number;
  statusAddresses: string[];
  /**
   * The HTTPS listener's default certificate, when the caller began generating it earlier (an RSA
   * key takes 0.1–0.3 s, which can overlap the rest of start-up); generated here otherwise.
   */
  defaultCertificate?: Promise<TlsCertificate>;
}

export interface RunningIngress {
  engine: ProxyEngine;
  /** Resolves once the signal has aborted and everything has stopped. */
  done: Promise<void>;
}

export async function startIngressController(client: ApiClient, opts: IngressStartOptions, signal: AbortSignal): Promise<RunningIngress> {
  await ensureIngressClass(client, opts.logger);
  const defaultCertificate = await (opts.defaultCertificate ?? generateFakeCertificate());
  const informers = new SharedInformerFactory(client, { logger: opts.logger });
  const endpoints = new InformerEndpointSource(informers.informerFor(builtinRefs.services), informers.informerFor(builtinRefs.endpointslices));
  const engine = new ProxyEngine({ endpoints, logger: opts.logger });
  const recorder = new ApiEventRecorder(client, { component: 'capstan-ingress-controller', logger: opts.logger });
  const controller = createIngressController({ client, informers, sink: engine, recorder, ...opts, defaultCertificate });
  const done = controller.start(signal).finally(async () => {
    await engine.close();
    endpoints.close();
    await recorder.close();
  });
  return { engine, done };
}
