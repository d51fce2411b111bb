import * as grpc from '@grpc/grpc-js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { DEFAULT_LIMITS, type EnvServiceLimits } from '../../src/server/services/env-service.js';
import { EnvServiceClient } from '../../src/gen/gymhost/v1/env_service.js';

/** A real gymhost on free loopback ports, for integration tests. Call `stop()` after. */
export async function startTestServer(limits: Partial<EnvServiceLimits> = {}, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, limits: { ...DEFAULT_LIMITS, ...limits }, logLevel: 'silent', ...options });
}

/** A generated grpc-js client of EnvService connected to `server`. */
export function envClient(server: RunningServer, options: grpc.ClientOptions = {}): EnvServiceClient {
  return new EnvServiceClient(server.grpcAddress, grpc.credentials.createInsecure(), options);
}

/** Calls a callback-style unary method as a promise. */
export function call<Req, Res>(
  client: grpc.Client,
  method: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, new grpc.Metadata(), {}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** JSON over HTTP to the server: status and parsed body. */
export async function http(server: RunningServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; contentType: string }> {
  const res = await fetch(server.httpAddress + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const contentType = res.headers.get('content-type') ?? '';
  const text = await res.text();
  let parsed: unknown = text;
  if (contentType.includes('json')) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, contentType };
}
