/**
 * Debian's nginx in front of gymhost replicas for tests, configured by nginxConfig (the same
 * text `gymhost nginx-config` prints): gRPC and HTTP on free 127.0.0.1 ports, in the
 * foreground, stopped by stop() or when the test process exits. `bash scripts/setup-nginx.sh`
 * installs nginx when missing; startNginx() throws saying so when it is not there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from './ports.js';
import os from 'node:os';
import path from 'node:path';
import { nginxConfig, type ReplicaAddress } from '../../src/server/cluster/nginx-config.js';

export interface NginxProxy {
  /** host:port of the gRPC side. */
  readonly grpc: string;
  /** http://host:port of the REST side. */
  readonly http: string;
  readonly process: ChildProcess;
  /** What nginx wrote to stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

export function nginxBinary(): string | undefined {
  if (process.env.GYMHOST_NGINX) return process.env.GYMHOST_NGINX;
  return ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
}

export async function startNginx(replicas: readonly ReplicaAddress[], failTimeoutSeconds = 5): Promise<NginxProxy> {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx not found: run `bash scripts/setup-nginx.sh` (installs Debian\'s nginx), or set GYMHOST_NGINX');
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'gymhost-nginx-'));
  // Worker processes run as an unprivileged user when nginx starts as root: they write temp files here.
  for (const d of ['', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(path.join(prefix, d), { recursive: true });
    chmodSync(path.join(prefix, d), 0o777);
  }
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ replicas, grpcListen: `127.0.0.1:${grpcPort}`, httpListen: `127.0.0.1:${httpPort}`, failTimeoutSeconds, standalone: { prefix } }));
  const check = spawnSync(bin, ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`);
  const child = spawn(bin, ['-p', prefix, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // Ready when the HTTP side accepts connections (bounded in tries, not asserted in time).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(httpPort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || i > 200) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    grpc: `127.0.0.1:${grpcPort}`,
    http: `http://127.0.0.1:${httpPort}`,
    process: child,
    log: () => log,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
