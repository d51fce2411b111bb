/**
 * The Express app of the gym-http-api port: matches a request against the dialect's routes
 * (exact paths, trailing slashes included, as Flask's routing does), admits it through the
 * Gate (see auth.ts), parses its JSON body, runs the route and answers its JSON, or the
 * original's empty 204, or an error (errors.ts). A path the original does not have is 404
 * (naming the path with or without its trailing slash when that one exists); a known path
 * with another method is 405 with an Allow header.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { DomainError, invalidArgument } from '../../core/errors.js';
import { REQUEST_ID_KEY } from '../errors.js';
import type { Gate } from '../gate.js';
import type { Metrics } from '../observability/metrics.js';
import { BodyBuffers, bodyReader, parseJsonBody } from '../rest/body.js';
import type { EnvService } from '../services/env-service.js';
import { admit } from './auth.js';
import { sendDialectError } from './errors.js';
import { dialectRoutes, type DialectRoute } from './routes.js';

export interface GymHttpApiOptions {
  readonly envs: EnvService;
  /** Where calls are admitted, logged and measured (the server's one Gate). */
  readonly gate: Gate;
  /** Counts this port's own authentication refusals (the Gate counts the others). */
  readonly metrics: Metrics;
  /** Largest request body in bytes. */
  readonly maxBodyBytes: number;
}

/** A route's path as a matcher: its parameter names and a regular expression over the raw path. */
interface Compiled {
  readonly route: DialectRoute;
  readonly names: string[];
  readonly regex: RegExp;
}

function compile(route: DialectRoute): Compiled {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<(\w+)>/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^${source}$`) };
}

const compiled = dialectRoutes.map(compile);

/** The route of `method` and `path`, with its raw (%-escaped) parameters; else the methods the path has. */
function match(method: string, path: string): { route: Compiled; raw: Record<string, string> } | { allowed: string[] } {
  const allowed: string[] = [];
  for (const c of compiled) {
    const m = c.regex.exec(path);
    if (!m) continue;
    if (c.route.method !== method) {
      allowed.push(c.route.method);
      continue;
    }
    const raw: Record<string, string> = {};
    c.names.forEach((name, i) => (raw[name] = m[i + 1]));
    return { route: c, raw };
  }
  return { allowed };
}

/** Path parameters %-decoded; a bad escape is INVALID_ARGUMENT naming the parameter. */
function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw invalidArgument(name, `${name} in the path has an invalid %-escape ('${value}'); percent-encode bytes as %XX with two hex digits of UTF-8`, 'BAD_PATH_ESCAPE');
    }
  }
  return params;
}

export function createGymHttpApiApp(options: GymHttpApiOptions): express.Express {
  const { envs, gate, metrics } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  const bodyBuffers = new BodyBuffers();
  app.use(bodyReader(options.maxBodyBytes, bodyBuffers));

  app.use(async (req: Request, res: Response) => {
    // req.path is the raw path without the query string (%-escapes still in it).
    const found = match(req.method === 'HEAD' ? 'GET' : req.method, req.path);
    const name = 'route' in found ? found.route.route.name : `HTTP ${req.method}`;
    const scope = gate.begin(`GymHttpApi/${name}`, 'rest', req.get(REQUEST_ID_KEY));
    res.set(REQUEST_ID_KEY, scope.requestId);
    // A large body's shared buffer goes back to the pool once the call is over.
    const shared = Buffer.isBuffer(req.body) && req.body.buffer instanceof SharedArrayBuffer ? req.body.buffer : undefined;
    if (shared) res.once('close', () => bodyBuffers.give(shared));
    try {
      if (!('route' in found)) {
        if (found.allowed.length > 0) {
          res.set('allow', [...new Set(found.allowed)].join(', '));
          const err = invalidArgument('method', `${req.path} takes ${[...new Set(found.allowed)].join(' or ')}, not ${req.method}`, 'METHOD_NOT_ALLOWED');
          scope.end(err);
          sendDialectError(res, err, scope.requestId, 405);
          return;
        }
        throw noRoute(req.method, req.path);
      }
      const caller = admit(gate, metrics, scope, req.get('authorization'));
      const params = decodeParams(found.raw);
      const body = req.method === 'POST' ? parseJsonBody(Buffer.isBuffer(req.body) ? req.body : undefined) : undefined;
      const out = await found.route.route.handle({ envs, gate, scope, caller, params, body });
      scope.end();
      if (out === undefined) res.status(204).end();
      else res.json(out);
    } catch (err) {
      scope.end(err);
      sendDialectError(res, err, scope.requestId);
    }
  });

  // Failures of the body reader (too large, bad Content-Encoding) as this port's errors.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const scope = gate.begin(`HTTP ${req.method}`, 'rest', req.get(REQUEST_ID_KEY));
    const e = err as { type?: string; limit?: number; message?: string };
    const domain =
      e?.type === 'entity.too.large'
        ? new DomainError('RESOURCE_EXHAUSTED', `request body too large: the limit is ${e.limit} bytes`, 'body', 'BODY_TOO_LARGE')
        : invalidArgument('body', `the request body could not be read: ${e?.message ?? String(err)}; send it uncompressed or with Content-Encoding gzip, deflate or br`, 'BAD_BODY');
    scope.end(domain);
    sendDialectError(res, domain, scope.requestId, e?.type === 'entity.too.large' ? 413 : undefined);
  });
  return app;
}

/** NOT_FOUND for a path the dialect does not have, naming the one with or without a trailing slash if that exists. */
function noRoute(method: string, path: string): DomainError {
  const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
  const near = compiled.find((c) => c.regex.test(other));
  const hint = near
    ? `; did you mean ${near.route.method} ${other}? (gym-http-api's paths are exact, trailing slash included)`
    : '; the gym-http-api routes are /v1/envs/, /v1/envs/<instance_id>/reset/, /step/, /action_space/, /action_space/sample, /action_space/contains/<x>, /observation_space/, /observation_space/contains and /close/';
  return new DomainError('NOT_FOUND', `no route ${method} ${path}${hint}`, 'path', 'NO_ROUTE');
}
