/** Starts a throwaway etcd (Debian's etcd-server) on free loopback ports, for tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
export { freePort } from './free-port.js';
import { freePort } from './free-port.js';

export const etcdBinary = process.env.CAPSTAN_ETCD_BIN ?? '/usr/bin/etcd';
export const etcdAvailable = existsSync(etcdBinary);


export interface EtcdProcess {
  clientUrl: string;
  /** Kills etcd; `keepData` leaves the data dir for a restart. */
  kill(): Promise<void>;
  /** Starts it again on the same data dir and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-etcd-'));
  const clientUrl = `http://127.0.0.1:${await freePort()}`;
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const p = spawn(
      etcdBinary,
      ['--name', 'capstan-test', '--data-dir', dataDir, '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `capstan-test=${peerUrl}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc = p;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      p.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (log.length < 65536) log += chunk;
        if (/ready to serve client requests/i.test(log)) resolve();
      });
      p.once('exit', (code) => reject(new Error(`etcd exited with ${code} before serving:\n${log}`)));
    });
  };
  const kill = async () => {
    const p = proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      p.removeAllListeners('exit');
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGKILL');
      await exited;
    }
  };
  await launch();
  return {
    clientUrl,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
