/** The `capstan` command: subcommands compose the components (k3s-style single binary). */
import { serverCommand } from './server-command.js';
import { controllerManagerCommand } from './controller-manager-command.js';
import { schedulerCommand } from './scheduler-command.js';
import { simCommand } from './sim-command.js';
import { agentCommand } from './agent-command.js';
import { capstanVersion } from './version.js';

const usage = `capstan — a Kubernetes-compatible orchestrator in one program

Usage:
  capstan server [flags]     start a cluster: API server on an embedded store (see capstan server --help)
  capstan controller-manager [flags]  run the controllers against a cluster (see --help)
  capstan scheduler [flags]  run the scheduler against a cluster (see capstan scheduler --help)
  capstan agent [flags]      join a cluster as a node that runs pods (see capstan agent --help)
  capstan sim [flags]        register simulated nodes that run pods like a node agent (see capstan sim --help)
  capstan version            print the version
`;

export async function main(argv: string[]): Promise<number | void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
      return serverCommand(rest);
    case 'controller-manager':
      return controllerManagerCommand(rest);
    case 'scheduler':
      return schedulerCommand(rest);
    case 'agent':
      return agentCommand(rest);
    case 'sim':
      return simCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(`capstan ${capstanVersion.gitVersion}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`capstan: unknown command ${JSON.stringify(cmd)}\n\n${usage}`);
      return 1;
  }
}
