import express, { type NextFunction, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { invalidArgument, DomainError } from '../../core/errors.js';
import { seesEveryone } from '../../core/sessions/caller.js';
import { REQUEST_ID_KEY, toHttpError } from '../errors.js';
import type { Gate, OpenStream } from '../gate.js';
import type { Metrics } from '../observability/metrics.js';
import type { ComputePool } from '../workers/pool.js';
import { canonicalToRest, fieldByName, messageType, restToCanonical } from './json.js';
import { buildOpenApi } from './openapi.js';
import { mountDashboard } from '../../web/dashboard.js';
import { encodePng } from './png.js';
import { BodyBuffers, bodyReader, parseJsonBody } from './body.js';
import { agentRoutes, envRoutes, usageRoutes, type Route, type Services } from './routes.js';
import { TrainResponse, type EpisodeRecord, type TrainSummary } from '../../gen/gymhost/v1/agent_service.js';

export interface RestOptions {
  /** Largest JSON request body in bytes. */
  readonly maxBodyBytes: number;
  /** Reports whether the server is serving (for /healthz). */
  readonly healthy: () => boolean;
  /** Where calls are admitted, logged and measured. */
  readonly gate: Gate;
  /** Prometheus metrics for GET /metrics. */
  readonly metrics: Metrics;
  /** Worker threads that parse large bodies (absent: parsed here). */
  readonly pool?: ComputePool;
}

/** Bodies larger than this are parsed on a worker thread (parsing takes about 1 ms per 100 KiB). */
export const PARSE_ON_WORKER_BYTES = 64 * 1024;

/** Express app mirroring every RPC, plus /healthz, /metrics, /openapi.json, /docs and the dashboard at /. */
export function createRestApp(services: Services, options: RestOptions): express.Express {
  const { gate } = options;
  const serviceOf = new Map<Route, string>();
  for (const r of envRoutes) serviceOf.set(r, 'EnvService');
  for (const r of agentRoutes) serviceOf.set(r, 'AgentService');
  for (const r of usageRoutes) serviceOf.set(r, 'UsageService');
  const routes = [...serviceOf.keys()];
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  // Raw bytes (inflated when Content-Encoding says gzip/deflate/br); parseJsonBody turns them
  // into JSON with a nesting bound, so a hostile body fails cleanly before anything walks it.
  const bodyBuffers = new BodyBuffers();
  app.use(bodyReader(options.maxBodyBytes, bodyBuffers));

  app.get('/healthz', (_req, res) => {
    const ok = options.healthy();
    res.status(ok ? 200 : 503).json({ status: ok ? 'SERVING' : 'NOT_SERVING' });
  });

  // Prometheus scrapes with an instructor's or admin's token when authentication is on.
  app.get('/metrics', async (req, res) => {
    const scope = gate.begin('Metrics', 'rest', req.get(REQUEST_ID_KEY));
    // A large body's shared buffer goes back to the pool once the call is over.
    const shared = Buffer.isBuffer(req.body) && req.body.buffer instanceof SharedArrayBuffer ? req.body.buffer : undefined;
    if (shared) res.once('close', () => bodyBuffers.give(shared));
    try {
      const caller = gate.admit(scope, req.get('authorization'));
      if (!seesEveryone(caller)) throw new DomainError('PERMISSION_DENIED', 'metrics are for instructors and admins', '', 'ROLE_REQUIRED');
      const text = await options.metrics.text();
      scope.end();
      res.type('text/plain; version=0.0.4').send(text);
    } catch (err) {
      scope.end(err);
      sendError(res, err, scope.requestId);
    }
  });

  const openapi = buildOpenApi(routes);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  app.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  app.use('/docs/assets', express.static(swaggerDir, { index: false }));
  mountDashboard(app);

  // Custom methods first: Express's `:id` would also match "abc:step".
  const ordered = [...routes].sort((a, b) => Number(b.path.includes('\\:')) - Number(a.path.includes('\\:')));
  for (const r of ordered) app[r.method](r.path, handler(services, r, `${serviceOf.get(r)}/${r.rpc}`, gate, options.pool, bodyBuffers));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new DomainError('NOT_FOUND', `no route ${req.method} ${req.path}; see /openapi.json for the API`, 'path', 'NO_ROUTE'));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const scope = gate.begin(`HTTP ${req.method}`, 'rest', req.get(REQUEST_ID_KEY));
    const domain = bodyParserError(err) ?? err;
    scope.end(domain);
    sendError(res, domain, scope.requestId, isTooLarge(err) ? 413 : undefined);
  });
  return app;
}

/** Answers a thrown value as the JSON error body, with x-request-id, Retry-After and WWW-Authenticate where they apply. */
function sendError(res: Response, err: unknown, requestId: string, status?: number): void {
  const out = toHttpError(err, requestId);
  res.set(REQUEST_ID_KEY, requestId);
  if (out.retryAfterSeconds > 0) res.set('retry-after', String(Math.ceil(out.retryAfterSeconds)));
  if (out.status === 401) res.set('www-authenticate', 'Bearer realm="gymhost"');
  res.status(status ?? out.status).json(out.body);
}

function handler(services: Services, r: Route, method: string, gate: Gate, pool: ComputePool | undefined, bodyBuffers: BodyBuffers) {
  const reqType = messageType(r.request.name);
  const resType = messageType(r.unwrap?.name ?? r.response.name);
  const streamType = r.stream ? messageType(r.stream.name) : undefined;
  return async (req: Request, res: Response) => {
    const scope = gate.begin(method, 'rest', req.get(REQUEST_ID_KEY));
    res.set(REQUEST_ID_KEY, scope.requestId);
    // Aborted when the client goes away before the answer is complete (cancels Train).
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    // A large body's shared buffer goes back to the pool once the call is over.
    const shared = Buffer.isBuffer(req.body) && req.body.buffer instanceof SharedArrayBuffer ? req.body.buffer : undefined;
    if (shared) res.once('close', () => bodyBuffers.give(shared));
    try {
      const caller = gate.admit(scope, req.get('authorization'));
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      let message: unknown;
      if (r.method === 'post' && pool && body && body.length > PARSE_ON_WORKER_BYTES) {
        // A large body is parsed and checked on a worker; the message comes back as protobuf.
        // A large body is in shared memory: the worker reads it where it is.
        const { bytes } = await pool.run('rest.decode', { body, requestType: r.request.name, rpc: r.rpc }, { user: caller.user, signal: controller.signal });
        message = (r.request.codec as unknown as { decode(b: Uint8Array): unknown }).decode(bytes);
      } else {
        let raw = r.method === 'post' ? parseJsonBody(body) : queryToJson(req.query as Record<string, unknown>, reqType);
        if (r.method === 'post' && raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
          throw invalidArgument('body', `the request body must be a JSON object (${r.request.name})`, 'WRONG_JSON_TYPE');
        }
        if (r.restBody && raw) raw = r.restBody(raw as Record<string, unknown>);
        if (raw) r.check?.(raw as Record<string, unknown>);
        message = r.request.codec.fromJSON(restToCanonical(reqType, raw));
      }
      if (typeof req.params.id === 'string') {
        const m = message as { id?: string };
        if (m.id && m.id !== req.params.id) throw invalidArgument('id', `body id '${m.id}' differs from the path's '${req.params.id}'`);
        m.id = req.params.id;
      }
      const arriving = gate.locate?.(method, message);
      if (arriving) await arriving;
      if (r.stream && (r.stream.always || (message as { stream?: boolean }).stream)) {
        const stream = r.stream;
        let shutdown = '';
        const open: OpenStream = {
          endForShutdown(why) {
            shutdown = why;
            controller.abort();
          },
        };
        gate.streams.add(open);
        try {
          await streamNdjson(res, (msg) => canonicalToRest(streamType!, stream.codec.toJSON(msg)), (emit) => stream.run(services, message, caller, emit, controller.signal), () =>
            shutdown
              ? new DomainError('UNAVAILABLE', `${shutdown}; the run was stopped${services.agents.runsResumeAfterRestart ? ' and resumes from its last checkpoint when the server starts again' : ''}`, '', 'SHUTTING_DOWN')
              : undefined,
          );
        } finally {
          gate.streams.delete(open);
        }
        scope.end();
        return;
      }
      const out = await r.call(services, message, caller, controller.signal);
      gate.succeeded(scope, message, out);
      scope.end();
      if (r.rpc === 'Render' && req.accepts(['application/json', 'image/png']) === 'image/png') {
        const frame = (out as { frame?: { shape: number[]; data: Buffer } }).frame;
        if (frame) {
          res.type('png').send(encodePng(frame.shape[1], frame.shape[0], frame.data));
          return;
        }
      }
      if (r.present) {
        const shown = r.present(out);
        res.json(canonicalToRest(messageType(shown.name), shown.json));
        return;
      }
      res.json(canonicalToRest(resType, r.response.codec.toJSON(out)));
    } catch (err) {
      scope.end(err);
      if (res.headersSent) {
        res.end(JSON.stringify({ error: toHttpError(err, scope.requestId).body }) + '\n');
      } else {
        sendError(res, err, scope.requestId);
      }
    }
  };
}

/**
 * Answers newline-delimited JSON: one stream message per line (Train: {"episode": ...} and
 * {"evaluation": ...} lines, then {"summary": ...}). An error after the first line ends the
 * stream with {"error": {code, message, details}}.
 */
async function streamNdjson(
  res: Response,
  toJson: (msg: unknown) => unknown,
  run: (emit: (msg: unknown) => void | Promise<void>) => Promise<unknown>,
  /** An error to end with instead of the last line (the server shut the run down). */
  stopped: () => DomainError | undefined,
): Promise<void> {
  const line = (msg: unknown) => JSON.stringify(toJson(msg)) + '\n';
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.status(200).type('application/x-ndjson');
    res.flushHeaders();
  };
  const last = await run((msg) => {
    start();
    // Backpressure: the run waits while the client is not reading.
    if (res.write(line(msg)) || res.destroyed) return;
    return new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  });
  const stop = stopped();
  if (stop) throw stop;
  start();
  res.end(last === undefined ? undefined : line(last));
}

/** Query-string values are strings: numeric ones become numbers for numeric fields, "true"/"false" booleans for bool fields. */
function queryToJson(query: Record<string, unknown>, type: ReturnType<typeof messageType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const field = fieldByName(type, key);
    const numeric = field && !field.resolvedType && field.type !== 'string' && field.type !== 'bool';
    if (field?.type === 'bool' && (value === 'true' || value === 'false')) out[key] = value === 'true';
    else out[key] = numeric && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

function isTooLarge(err: unknown): boolean {
  return (err as BodyParserError)?.type === 'entity.too.large';
}

/**
 * Failures of express's body reader and router as domain errors with a message that says
 * what was wrong: an oversized body, a body that is not in its Content-Encoding, an
 * unsupported encoding, a path with a bad %-escape.
 */
function bodyParserError(err: unknown): DomainError | undefined {
  const e = err as BodyParserError & { code?: string };
  if (e?.type === 'entity.too.large') return new DomainError('RESOURCE_EXHAUSTED', `request body too large: the limit is ${e.limit} bytes`, 'body', 'BODY_TOO_LARGE');
  if (e?.type === 'encoding.unsupported') {
    return invalidArgument('body', `${e.message}; send the body uncompressed or with Content-Encoding gzip, deflate or br`, 'UNSUPPORTED_ENCODING');
  }
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    return invalidArgument('body', `the request body is not valid data of its Content-Encoding (${e.message}); send it uncompressed or compress it with that encoding`, 'BAD_CONTENT_ENCODING');
  }
  if (err instanceof URIError || (e?.status === 400 && /decode param/i.test(e.message ?? ''))) {
    return invalidArgument('path', `the request path has an invalid %-escape (${e.message}); percent-encode bytes as %XX with two hex digits of UTF-8`, 'BAD_PATH_ESCAPE');
  }
  if (e?.type && e.status && e.status < 500) return invalidArgument('body', `bad request body: ${e.message}`, 'BAD_BODY');
  return undefined;
}

const DOCS_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>gymhost API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script>
</body></html>`;
