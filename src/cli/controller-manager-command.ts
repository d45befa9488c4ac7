/**
 * `capstan controller-manager`: the controllers alone, as an API client of a running server
 * (kube-controller-manager). Stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { ApiClient } from '../client/api-client.js';
import { loadKubeconfig } from '../client/client-config.js';
import { controllerRegistry, enabledControllers, startControllerManager } from '../controllers/manager.js';
import { createLogger, parseLogLevel } from '../util/logger.js';
import { controllerFlagHelp, controllerFlagOptions, parseControllerFlags } from './controller-flags.js';

const help = `Usage: capstan controller-manager --kubeconfig PATH [flags]

Flags:
  --kubeconfig PATH        kubeconfig of the API server to manage
  --context NAME           kubeconfig context (default: current-context)
  --controllers LIST       comma-separated controllers: '*' for all, 'foo' to enable, '-foo' to disable (default '*')
                           known: ${Object.keys(controllerRegistry).join(', ')}
${controllerFlagHelp}  --log-level LEVEL        debug, info, warn or error (default info); --v N is accepted too
  -h, --help               show this help
`;

export async function controllerManagerCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        controllers: { type: 'string' },
        ...controllerFlagOptions,
        'log-level': { type: 'string' },
        v: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`capstan controller-manager: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(help);
    return 0;
  }
  if (!args.kubeconfig) {
    process.stderr.write(`capstan controller-manager: --kubeconfig is required\n\n${help}`);
    return 2;
  }
  const controllers = args.controllers?.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    enabledControllers(controllers, Object.keys(controllerRegistry));
  } catch (e) {
    process.stderr.write(`capstan controller-manager: ${(e as Error).message}\n`);
    return 2;
  }
  let logger;
  let settings;
  try {
    settings = parseControllerFlags(args);
    logger = createLogger(parseLogLevel(args['log-level'] ?? args.v));
  } catch (e) {
    process.stderr.write(`capstan controller-manager: ${(e as Error).message}\n`);
    return 2;
  }
  const config = await loadKubeconfig(args.kubeconfig, args.context);
  const client = new ApiClient({ ...config, userAgent: 'capstan-controller-manager' });
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info('shutting down', { signal: sig });
    ac.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await startControllerManager(client, { controllers, settings, logger: logger.child('controller-manager') }, ac.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    client.close();
  }
  return 0;
}
