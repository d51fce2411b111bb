/**
 * `gymhost nginx-config`: prints the nginx configuration that puts replicas (serve --database
 * URL --replica NAME) behind one gRPC port and one HTTP port, routing each call to the replica
 * serving its session (src/server/cluster/nginx-config.ts).
 */
import { parseArgs } from 'node:util';
import { nginxConfig, type ReplicaAddress } from '../server/cluster/nginx-config.js';

export const NGINX_CONFIG_USAGE = `gymhost nginx-config: nginx in front of gymhost replicas

  gymhost nginx-config --replica GRPC_HOST:PORT,HTTP_HOST:PORT [--replica ...]
                       [--grpc-listen ADDR:PORT] [--http-listen ADDR:PORT]
                       [--fail-timeout SECONDS] [--max-body-size SIZE] [--standalone PREFIX]

Prints an http-level snippet for nginx's conf.d/ (or, with --standalone PREFIX, a whole
nginx.conf that keeps its pid and temp files under PREFIX): gRPC on --grpc-listen (default
0.0.0.0:50051) with grpc_pass, REST and the dashboard on --http-listen (default 0.0.0.0:8080)
with proxy_pass, both routing by consistent hashing of the session, agent or run a call names
(REST: its path; gRPC: the gymhost-route metadata key the Python and TS clients send). A replica
that cannot be reached is left out for --fail-timeout seconds (default 10); its sessions move to
the others (docs/deploy.md). Example:

  gymhost nginx-config --replica 10.0.0.11:50051,10.0.0.11:8080 --replica 10.0.0.12:50051,10.0.0.12:8080 \\
    > /etc/nginx/conf.d/gymhost.conf
`;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function hostPort(flag: string, text: string): string {
  const m = HOST_PORT.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`${flag} needs HOST:PORT (port 1-65535), got '${text}'`);
  return text.trim();
}

/** `gymhost nginx-config ARGS`; returns the exit code. */
export function nginxConfigCommand(argv: string[]): number {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        replica: { type: 'string', multiple: true },
        'grpc-listen': { type: 'string' },
        'http-listen': { type: 'string' },
        'fail-timeout': { type: 'string' },
        'max-body-size': { type: 'string' },
        standalone: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(NGINX_CONFIG_USAGE);
      return 0;
    }
    const replicas: ReplicaAddress[] = (values.replica ?? []).map((r) => {
      const parts = r.split(',');
      if (parts.length !== 2) throw new Error(`--replica needs GRPC_HOST:PORT,HTTP_HOST:PORT, got '${r}'`);
      return { grpc: hostPort('--replica', parts[0]), http: hostPort('--replica', parts[1]) };
    });
    if (replicas.length === 0) throw new Error('give at least one --replica GRPC_HOST:PORT,HTTP_HOST:PORT');
    const failTimeout = values['fail-timeout'] === undefined ? 10 : Number(values['fail-timeout']);
    if (!Number.isInteger(failTimeout) || failTimeout < 1 || failTimeout > 3600) throw new Error(`--fail-timeout must be a whole number of seconds in [1, 3600], got '${values['fail-timeout']}'`);
    const body = values['max-body-size'] ?? '16m';
    if (!/^\d+[kKmMgG]?$/.test(body)) throw new Error(`--max-body-size must be nginx's size syntax (e.g. 16m), got '${body}'`);
    process.stdout.write(
      nginxConfig({
        replicas,
        grpcListen: hostPort('--grpc-listen', values['grpc-listen'] ?? '0.0.0.0:50051'),
        httpListen: hostPort('--http-listen', values['http-listen'] ?? '0.0.0.0:8080'),
        failTimeoutSeconds: failTimeout,
        maxBodySize: body,
        standalone: values.standalone ? { prefix: values.standalone } : undefined,
      }),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`gymhost nginx-config: ${(err as Error).message}\n\n${NGINX_CONFIG_USAGE}`);
    return 2;
  }
}
