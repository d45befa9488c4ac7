/**
 * Preparing a container's OCI bundle before runc runs it: the overlay root filesystem, the
 * environment and working directory, the executable looked up inside the container (through its
 * PATH and mounts), the terminal wrapper for `tty` containers, the user and capabilities from the
 * security context, and config.json. Any failure is returned as the reason the container could
 * not start (the runtime reports it as the kubelet would); nothing is thrown.
 */
import { chown, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scriptArgs } from '../../streaming/host-exec.js';
import { containerEnvironment, containerWorkingDir } from '../process/container-env.js';
import { wrapperArgv } from '../process/exit-status.js';
import { hasStdinPipe, STDIN_CLOSE_FIFO } from '../process/stdin-pipe.js';
import { errorMessage, type ContainerRecord, type SandboxRecord } from '../process/state-store.js';
import { resolveInContainer } from './container-path.js';
import { ociSpec } from './oci-spec.js';
import { mountOverlay } from './rootfs.js';
import { securityInput } from './security-input.js';

/** Where the wrapper sees its status directory inside the container. */
const STATUS_MOUNT = '/dev/.capstan-init';

export interface BundleInput {
  rec: ContainerRecord;
  sandbox: SandboxRecord;
  /** <container dir>/bundle: holds upper/, work/, rootfs/ and config.json. */
  bundle: string;
  /** The host directory bind-mounted at STATUS_MOUNT, where the wrapper leaves the exit status. */
  statusDir: string;
  /** The pod's own /etc files, as host paths. */
  podFiles: { containerPath: string; hostPath: string }[];
  cgroupsPath: string;
}

/** Builds the bundle; undefined when it is ready, else why the container cannot start. */
export async function prepareBundle(input: BundleInput): Promise<string | undefined> {
  const { rec, sandbox, bundle } = input;
  const rootfs = path.join(bundle, 'rootfs');
  try {
    await mountOverlay({ upper: path.join(bundle, 'upper'), work: path.join(bundle, 'work'), target: rootfs });
  } catch (err) {
    return `cannot mount the root filesystem: ${errorMessage(err)}`;
  }
  const env = containerEnvironment(rec.config.env, rec.hostname);
  const cwd = containerWorkingDir(rec.config.workingDir);
  if (!path.isAbsolute(cwd)) return `cwd property must be an absolute path: ${JSON.stringify(cwd)}`;
  const exe = await resolveInContainer(rec.config.command[0]!, env.PATH ?? '', cwd, rootfs, rec.config.mounts);
  if (!exe.ok) return exe.message;
  const argv = [exe.path, ...rec.config.command.slice(1), ...rec.config.args];
  if (rec.config.tty) {
    // The container's terminal comes from util-linux `script` in its root filesystem, as exec -t's does.
    const script = await resolveInContainer('script', env.PATH || '/usr/bin:/bin', '/', rootfs, rec.config.mounts);
    if (!script.ok) return 'tty: true needs util-linux script in the container to give it a terminal';
    argv.splice(0, argv.length, script.path, ...scriptArgs(argv));
    env.TERM ??= 'xterm';
  }
  const security = await securityInput(rootfs, rec.config.securityContext, rec.config.devices);
  try {
    // The wrapper runs as the container's user and must be able to leave its exit status.
    await chown(input.statusDir, security.user.uid, security.user.gid);
  } catch (err) {
    return `cannot prepare the container's status directory: ${errorMessage(err)}`;
  }
  const spec = ociSpec({
    ...security,
    rootfs,
    hostname: rec.hostname,
    args: ['/bin/sh', ...wrapperArgv(`${STATUS_MOUNT}/exit`, env.PWD, argv[0]!, argv.slice(1), hasStdinPipe(rec.config) ? `${STATUS_MOUNT}/${STDIN_CLOSE_FIFO}` : '')],
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    cwd,
    podFiles: input.podFiles,
    mounts: rec.config.mounts,
    statusDir: { hostPath: input.statusDir, containerPath: STATUS_MOUNT },
    cgroupsPath: input.cgroupsPath,
    resources: rec.config.resources,
    hostNetwork: !sandbox.network,
    netnsPath: sandbox.networkReleased ? undefined : sandbox.network?.netnsPath,
  });
  try {
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  } catch (err) {
    return `cannot write the OCI bundle: ${errorMessage(err)}`;
  }
  return undefined;
}
