/**
 * `capstan scheduler --kubeconfig PATH [--config FILE]`: the scheduler alone, as an API client of
 * any Capstan (or Kubernetes) API server. An invalid configuration is refused before it connects.
 */
import { parseArgs } from 'node:util';
import { ApiClient } from '../client/api-client.js';
import { loadSchedulerConfiguration } from '../scheduler/config/load.js';
import type { SchedulerConfiguration } from '../scheduler/config/types.js';
import { InvalidSchedulerConfigError } from '../scheduler/config/validation.js';
import { startScheduler } from '../scheduler/start-scheduler.js';
import { createLogger, parseLogLevel } from '../util/logger.js';

export { startScheduler } from '../scheduler/start-scheduler.js';
export type { SchedulerConfiguration } from '../scheduler/config/types.js';

const help = `Usage: capstan scheduler --kubeconfig PATH [flags]

Flags:
  --kubeconfig PATH      kubeconfig of the API server to schedule for
  --config FILE          KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), YAML or JSON
  --log-level LEVEL      debug, info, warn or error (default info); --v N is accepted too
  -h, --help             show this help
`;

export async function schedulerCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        v: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`capstan scheduler: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(help);
    return 0;
  }
  if (!args.kubeconfig) {
    process.stderr.write(`capstan scheduler: --kubeconfig is required\n\n${help}`);
    return 2;
  }
  let logger;
  try {
    logger = createLogger(parseLogLevel(args['log-level'] ?? args.v), 'scheduler');
  } catch (e) {
    process.stderr.write(`capstan scheduler: ${(e as Error).message}\n`);
    return 2;
  }
  let config: SchedulerConfiguration | undefined;
  let client: ApiClient;
  try {
    if (args.config) config = await loadSchedulerConfiguration(args.config);
    client = await ApiClient.fromKubeconfig(args.kubeconfig);
  } catch (e) {
    process.stderr.write(`capstan scheduler: ${(e as Error).message}\n`);
    return 1;
  }
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info('shutting down', { signal: sig });
    controller.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await startScheduler(client, { config, logger, signal: controller.signal });
    return 0;
  } catch (e) {
    if (e instanceof InvalidSchedulerConfigError) {
      process.stderr.write(`capstan scheduler: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    client.close();
  }
}
