/**
 * Calls any gymhost RPC by name over either transport with a token, so tests can run the
 * same table over gRPC and REST. Requests are given in REST JSON (the REST dialect: plain
 * numbers and arrays for observations and actions); for gRPC they are turned into the
 * message through the same descriptor-driven mapping the REST layer uses.
 */
import * as grpc from '@grpc/grpc-js';
import { agentRoutes, envRoutes, usageRoutes, type Route } from '../../src/server/rest/routes.js';
import { messageType, restToCanonical } from '../../src/server/rest/json.js';
import { EnvServiceService, StepStreamRequest, StepStreamResponse } from '../../src/gen/gymhost/v1/env_service.js';
import { AgentServiceService, TrainRequest, TrainResponse } from '../../src/gen/gymhost/v1/agent_service.js';
import { UsageServiceService } from '../../src/gen/gymhost/v1/usage_service.js';
import { ErrorDetail } from '../../src/gen/gymhost/v1/errors.js';
import type { RunningServer } from '../../src/server/server.js';

export type TransportName = 'grpc' | 'rest';

/** What a call gave: its status code name ("OK", "NOT_FOUND", ...), body or message, and the error detail. */
export interface Outcome {
  readonly code: string;
  readonly body: any;
  readonly detail?: { code: string; message: string; field: string; reason: string; requestId: string; retryAfterSeconds: number };
  readonly httpStatus?: number;
  readonly headers?: Headers;
  readonly metadata?: grpc.Metadata;
}

const ROUTES = new Map<string, Route>();
for (const r of [...envRoutes, ...agentRoutes, ...usageRoutes]) ROUTES.set(r.rpc, r);
const SERVICE_OF: Record<string, grpc.ServiceDefinition> = {};
for (const [def, service] of [
  [EnvServiceService, 'EnvService'],
  [AgentServiceService, 'AgentService'],
  [UsageServiceService, 'UsageService'],
] as const) {
  for (const m of Object.values(def as grpc.ServiceDefinition)) SERVICE_OF[m.path.split('/')[2]] = def as grpc.ServiceDefinition;
  void service;
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k])) as Record<number, string>;

/** A client of one server that speaks both transports. */
export class AnyRpc {
  private readonly grpcClient: grpc.Client;

  constructor(
    private readonly server: RunningServer,
    options: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions; ca?: Buffer } = {},
  ) {
    this.grpcClient = new grpc.Client(server.grpcAddress, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions ?? {});
  }

  close(): void {
    this.grpcClient.close();
  }

  private metadata(token: string | undefined): grpc.Metadata {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set('authorization', token.includes(' ') ? token : `Bearer ${token}`);
    return md;
  }

  /** A unary RPC (or Train, collected to its end) by name. */
  async call(transport: TransportName, rpc: string, request: Record<string, unknown>, token?: string): Promise<Outcome> {
    return transport === 'rest' ? this.rest(rpc, request, token) : this.grpc(rpc, request, token);
  }

  private async rest(rpc: string, request: Record<string, unknown>, token: string | undefined): Promise<Outcome> {
    const route = ROUTES.get(rpc);
    if (!route) throw new Error(`no REST route for ${rpc}`);
    const body = { ...request };
    let path = route.openapiPath;
    if (path.includes('{id}')) {
      path = path.replace('{id}', encodeURIComponent(String(body.id ?? '')));
      delete body.id;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = token.includes(' ') ? token : `Bearer ${token}`;
    let url = this.server.httpAddress + path;
    let payload: string | undefined;
    if (route.method === 'post') payload = JSON.stringify(body);
    else {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) q.set(k, String(v));
      if ([...q.keys()].length) url += `?${q}`;
    }
    const res = await fetch(url, { method: route.method.toUpperCase(), headers, body: payload });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text.split('\n').filter(Boolean).pop()!) : undefined;
    } catch {
      /* NDJSON or text: keep the text */
    }
    if (res.status === 200) {
      if (parsed?.error) return { code: parsed.error.code, body: parsed, detail: parsed.error.details?.[0], httpStatus: 200, headers: res.headers };
      return { code: 'OK', body: parsed, httpStatus: 200, headers: res.headers };
    }
    return { code: parsed?.code ?? `HTTP_${res.status}`, body: parsed, detail: parsed?.details?.[0], httpStatus: res.status, headers: res.headers };
  }

  private grpcRequest(rpc: string, request: Record<string, unknown>): { def: grpc.MethodDefinition<unknown, unknown>; message: unknown } {
    const route = ROUTES.get(rpc);
    const service = SERVICE_OF[rpc];
    if (!service) throw new Error(`no gRPC method ${rpc}`);
    const def = Object.values(service).find((m) => m.path.endsWith(`/${rpc}`))!;
    if (rpc === 'Train') return { def, message: TrainRequest.fromJSON(restToCanonical(messageType('gymhost.v1.TrainRequest'), request)) };
    if (!route) throw new Error(`no message mapping for ${rpc}`);
    const canonical = restToCanonical(messageType(route.request.name), route.restBody ? route.restBody(request) : request);
    return { def, message: route.request.codec.fromJSON(canonical) };
  }

  private grpc(rpc: string, request: Record<string, unknown>, token: string | undefined): Promise<Outcome> {
    const { def, message } = this.grpcRequest(rpc, request);
    const md = this.metadata(token);
    const failed = (err: grpc.ServiceError): Outcome => {
      const bin = err.metadata?.get('gymhost-error-bin')[0];
      const detail = bin instanceof Buffer ? ErrorDetail.decode(bin) : undefined;
      return { code: CODE_NAMES[err.code] ?? String(err.code), body: err.details, detail, metadata: err.metadata };
    };
    if (def.responseStream) {
      return new Promise((resolve) => {
        const messages: unknown[] = [];
        const stream = this.grpcClient.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, message, md);
        stream.on('data', (m) => messages.push(m));
        stream.on('error', (err: grpc.ServiceError) => resolve(failed(err)));
        stream.on('end', () => resolve({ code: 'OK', body: messages.map((m) => TrainResponse.toJSON(m as TrainResponse)) }));
      });
    }
    return new Promise((resolve) => {
      let metadata: grpc.Metadata | undefined;
      const call = this.grpcClient.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, message, md, (err, res) => {
        if (err) resolve(failed(err));
        else resolve({ code: 'OK', body: res, metadata });
      });
      call.on('metadata', (m) => (metadata = m));
    });
  }

  /** One StepStream message (REST JSON of a StepStreamRequest, e.g. {step: {id, action}}): the answer or the stream's error. */
  stepStream(request: Record<string, unknown>, token?: string): Promise<Outcome> {
    const def = Object.values(EnvServiceService as grpc.ServiceDefinition).find((m) => m.path.endsWith('/StepStream'))!;
    const message = StepStreamRequest.fromJSON(restToCanonical(messageType('gymhost.v1.StepStreamRequest'), request));
    return new Promise((resolve) => {
      const stream = this.grpcClient.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, this.metadata(token));
      let answered = false;
      stream.on('data', (m: StepStreamResponse) => {
        answered = true;
        const r = m.response;
        if (r?.$case === 'error') resolve({ code: r.value.code, body: r.value, detail: r.value as Outcome['detail'] });
        else resolve({ code: 'OK', body: r });
        stream.end();
      });
      stream.on('error', (err: grpc.ServiceError) => {
        if (!answered) resolve({ code: CODE_NAMES[err.code] ?? String(err.code), body: err.details });
      });
      stream.write(message);
    });
  }
}
