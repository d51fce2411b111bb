import express, { type NextFunction, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { invalidArgument, DomainError } from '../../core/errors.js';
import { ANONYMOUS, type Caller } from '../../core/sessions/session-store.js';
import { toHttpError } from '../errors.js';
import { canonicalToRest, fieldByName, messageType, restToCanonical } from './json.js';
import { buildOpenApi } from './openapi.js';
import { encodePng } from './png.js';
import { parseJsonBody } from './body.js';
import { agentRoutes, envRoutes, type Route, type Services } from './routes.js';
import { TrainResponse, type EpisodeRecord, type TrainSummary } from '../../gen/gymhost/v1/agent_service.js';

export interface RestOptions {
  /** Largest JSON request body in bytes. */
  readonly maxBodyBytes: number;
  /** Reports whether the server is serving (for /healthz). */
  readonly healthy: () => boolean;
}

/** The caller of an HTTP request (auth will read it from the Authorization header). */
function callerOf(_req: Request): Caller {
  return ANONYMOUS;
}

/** Express app mirroring every EnvService RPC, plus /healthz, /openapi.json and /docs. */
export function createRestApp(services: Services, options: RestOptions): express.Express {
  const routes = [...envRoutes, ...agentRoutes];
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  // Raw bytes (inflated when Content-Encoding says gzip/deflate/br); parseJsonBody turns them
  // into JSON with a nesting bound, so a hostile body fails cleanly before anything walks it.
  app.use(express.raw({ limit: options.maxBodyBytes, type: () => true }));

  app.get('/healthz', (_req, res) => {
    const ok = options.healthy();
    res.status(ok ? 200 : 503).json({ status: ok ? 'SERVING' : 'NOT_SERVING' });
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

  // Custom methods first: Express's `:id` would also match "abc:step".
  const ordered = [...routes].sort((a, b) => Number(b.path.includes('\\:')) - Number(a.path.includes('\\:')));
  for (const r of ordered) app[r.method](r.path, handler(services, r));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new DomainError('NOT_FOUND', `no route ${req.method} ${req.path}; see /openapi.json for the API`, 'path', 'NO_ROUTE'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = toHttpError(bodyParserError(err) ?? err);
    res.status(isTooLarge(err) ? 413 : status).json(body);
  });
  return app;
}

function handler(services: Services, r: Route) {
  const reqType = messageType(r.request.name);
  const resType = messageType(r.unwrap?.name ?? r.response.name);
  const trainResponseType = messageType('gymhost.v1.TrainResponse');
  return async (req: Request, res: Response) => {
    // Aborted when the client goes away before the answer is complete (cancels Train).
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      let raw = r.method === 'post' ? parseJsonBody(Buffer.isBuffer(req.body) ? req.body : undefined) : queryToJson(req.query as Record<string, unknown>, reqType);
      if (r.method === 'post' && raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
        throw invalidArgument('body', `the request body must be a JSON object (${r.request.name})`, 'WRONG_JSON_TYPE');
      }
      if (r.restBody && raw) raw = r.restBody(raw as Record<string, unknown>);
      const canonical = restToCanonical(reqType, raw);
      if (typeof req.params.id === 'string') {
        if ('id' in canonical && canonical.id !== req.params.id) throw invalidArgument('id', `body id '${String(canonical.id)}' differs from the path's '${req.params.id}'`);
        canonical.id = req.params.id;
      }
      const message = r.request.codec.fromJSON(canonical);
      const caller = callerOf(req);
      if (r.stream && (message as { stream?: boolean }).stream) {
        await streamNdjson(res, trainResponseType, (emit) => r.stream!(services, message, caller, emit, controller.signal));
        return;
      }
      const out = await r.call(services, message, caller, controller.signal);
      if (r.rpc === 'Render' && req.accepts(['application/json', 'image/png']) === 'image/png') {
        const frame = (out as { frame?: { shape: number[]; data: Buffer } }).frame;
        if (frame) {
          res.type('png').send(encodePng(frame.shape[1], frame.shape[0], frame.data));
          return;
        }
      }
      res.json(canonicalToRest(resType, r.response.codec.toJSON(out)));
    } catch (err) {
      const { status, body } = toHttpError(err);
      if (res.headersSent) {
        res.end(JSON.stringify({ error: body }) + '\n');
      } else {
        res.status(status).json(body);
      }
    }
  };
}

/**
 * Answers newline-delimited JSON: one TrainResponse per line, {"episode": ...} for each
 * episode then {"summary": ...}. An error after the first line ends the stream with
 * {"error": {code, message, details}}.
 */
async function streamNdjson(
  res: Response,
  type: ReturnType<typeof messageType>,
  run: (emit: (record: EpisodeRecord) => void) => Promise<TrainSummary>,
): Promise<void> {
  const line = (msg: TrainResponse) => JSON.stringify(canonicalToRest(type, TrainResponse.toJSON(msg))) + '\n';
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.status(200).type('application/x-ndjson');
    res.flushHeaders();
  };
  const summary = await run((record) => {
    start();
    res.write(line({ event: { $case: 'episode', value: record } }));
  });
  start();
  res.end(line({ event: { $case: 'summary', value: summary } }));
}

/** Query-string values are strings: turn numeric ones into numbers for numeric fields. */
function queryToJson(query: Record<string, unknown>, type: ReturnType<typeof messageType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const field = fieldByName(type, key);
    const numeric = field && !field.resolvedType && field.type !== 'string' && field.type !== 'bool';
    out[key] = numeric && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
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
