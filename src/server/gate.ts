import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors.js';
import type { Caller } from '../core/sessions/caller.js';
import type { Authenticator } from './auth/authenticator.js';
import { RequestLog, type Logger } from './observability/logger.js';
import type { Metrics, RpcSeries } from './observability/metrics.js';
import type { UsageTracker } from './usage.js';
import type { Locate } from './cluster/resources.js';

export type Transport = 'grpc' | 'rest';

/** One call from admission to its end: who, what, and how it ended (for logs and metrics). */
export interface CallScope {
  readonly requestId: string;
  readonly method: string;
  readonly transport: Transport;
  /** Set once admitted. */
  caller: Caller | undefined;
  /** Ends the call once: logs it and records its code and latency. */
  end(err?: unknown): void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * New request ids: 12 base64url characters of 9 random bytes each. They are made 512 at a
 * time (one crypto call and one base64 encoding per block; 9 bytes are exactly 12
 * characters, so the block's text is the ids one after the other).
 */
const ID_CHARS = 12;
const ID_BLOCK = 512;
let idBlock = '';
let idPos = 0;

function newRequestId(): string {
  if (idPos === idBlock.length) {
    idBlock = randomBytes(9 * ID_BLOCK).toString('base64url');
    idPos = 0;
  }
  const id = idBlock.slice(idPos, idPos + ID_CHARS);
  idPos += ID_CHARS;
  return id;
}

/** A streaming call the server may have to end itself (shutdown): StepStream, Train over gRPC or NDJSON. */
export interface OpenStream {
  /** Ends the stream with UNAVAILABLE and `message` after the answers already due. */
  endForShutdown(message: string): void;
}

/**
 * What the calls of one method and transport share, made on its first call: the request
 * lines' logger (method and transport serialized once) and the metric series of its codes
 * (the OK one at hand), so that a call's end looks nothing up by label text.
 */
class Route {
  readonly log: RequestLog;
  readonly ok: RpcSeries;
  private readonly byCode = new Map<string, RpcSeries>();

  constructor(
    private readonly metrics: Metrics,
    logger: Logger,
    readonly method: string,
    readonly transport: Transport,
  ) {
    this.log = new RequestLog(logger, method, transport);
    this.ok = metrics.rpc.get(method, transport, 'OK');
  }

  series(code: string): RpcSeries {
    if (code === 'OK') return this.ok;
    let s = this.byCode.get(code);
    if (!s) this.byCode.set(code, (s = this.metrics.rpc.get(this.method, this.transport, code)));
    return s;
  }
}

/** A CallScope of Gate.begin (a class: no closures made per call). */
class Scope implements CallScope {
  caller: Caller | undefined = undefined;
  private readonly start = performance.now();
  private done = false;

  constructor(
    private readonly gate: Gate,
    readonly requestId: string,
    readonly route: Route,
  ) {}

  get method(): string {
    return this.route.method;
  }

  get transport(): Transport {
    return this.route.transport;
  }

  end(err?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.gate.ended(this, this.start, err);
  }
}

/**
 * Where every call of both transports comes in, written once: a request id (the client's
 * `x-request-id` if it is sane, else a new one), authentication, refusal while the server
 * drains, the request-rate quota, and at the end one log line and the RPC metrics. Also
 * writes the audit lines for creates, deletes and authentication failures.
 */
export class Gate {
  /** Open streams of both transports, ended by the server when it shuts down. */
  readonly streams = new Set<OpenStream>();
  /**
   * Replicas: brings the sessions and agents an admitted call names here before it runs
   * (ReplicaLeases.locate); undefined on one server.
   */
  locate: Locate | undefined = undefined;
  /** Routes by method, of each transport. */
  private readonly routes: Record<Transport, Map<string, Route>> = { grpc: new Map(), rest: new Map() };

  constructor(
    private readonly auth: Authenticator,
    private readonly usage: UsageTracker,
    private readonly metrics: Metrics,
    readonly logger: Logger,
    private readonly draining: () => boolean,
  ) {}

  begin(method: string, transport: Transport, clientRequestId?: string): CallScope {
    const requestId = clientRequestId && REQUEST_ID.test(clientRequestId) ? clientRequestId : newRequestId();
    const routes = this.routes[transport];
    let route = routes.get(method);
    if (!route) routes.set(method, (route = new Route(this.metrics, this.logger, method, transport)));
    return new Scope(this, requestId, route);
  }

  /** Logs a call's end and records its code and latency (Scope.end, once per call). */
  ended(scope: Scope, start: number, err: unknown): void {
    const { requestId, route } = scope;
    const code = err === undefined ? 'OK' : err instanceof DomainError ? err.code : 'INTERNAL';
    const seconds = (performance.now() - start) / 1000;
    route.series(code).record(seconds);
    if (err instanceof DomainError && err.code === 'RESOURCE_EXHAUSTED') this.metrics.quotaRefusals.inc({ reason: err.reason || 'RESOURCE_EXHAUSTED' });
    const durationMs = Math.round(seconds * 1e6) / 1000;
    const caller = scope.caller;
    if (code === 'INTERNAL') {
      const { method, transport } = route;
      this.logger.error({ reqId: requestId, user: caller?.user, role: caller?.role, method, transport, code, durationMs, err }, 'request failed: internal error');
      return;
    }
    route.log.write(requestId, caller?.user, caller?.role, code, durationMs, err instanceof DomainError ? err.reason : undefined);
  }

  /**
   * Admits a call: UNAVAILABLE while draining, UNAUTHENTICATED without a valid token (with an
   * audit line), RESOURCE_EXHAUSTED over the request rate. `weight` is how many requests it
   * counts as (StepStream messages count one each as they arrive).
   */
  admit(scope: CallScope, authorization: string | undefined): Caller {
    if (this.draining()) throw new DomainError('UNAVAILABLE', 'the server is shutting down; retry on another replica or after it restarts', '', 'SHUTTING_DOWN');
    let caller: Caller;
    try {
      caller = this.auth.authenticate(authorization);
    } catch (err) {
      const reason = err instanceof DomainError ? err.reason : 'ERROR';
      this.metrics.authFailures.inc({ reason });
      this.logger.warn({ audit: 'auth_failure', reqId: scope.requestId, method: scope.method, transport: scope.transport, reason }, 'authentication failed');
      throw err;
    }
    scope.caller = caller;
    this.usage.takeRequest(caller);
    return caller;
  }

  /** One more request of an admitted caller on an open stream (rate quota only). */
  admitMessage(caller: Caller): void {
    if (this.draining()) throw new DomainError('UNAVAILABLE', 'the server is shutting down', '', 'SHUTTING_DOWN');
    this.usage.takeRequest(caller);
  }

  /** Writes the audit line of a create or delete that succeeded (by method name). */
  succeeded(scope: CallScope, req: unknown, res: unknown): void {
    const audit = AUDITED[scope.method];
    if (!audit) return;
    const [action, kind, id] = audit(req as Record<string, any>, res as Record<string, any>);
    this.audit(scope, action, kind, String(id ?? ''));
  }

  /** Audit line for a create or delete that succeeded. */
  audit(scope: { requestId: string; caller?: Caller }, action: 'create' | 'delete', kind: string, id: string, extra: Record<string, unknown> = {}): void {
    this.logger.info({ audit: action, kind, id, reqId: scope.requestId, user: scope.caller?.user, role: scope.caller?.role, ...extra }, `${action} ${kind}`);
  }
}

/** Calls that create or delete something: the audit line's action, kind and id from the request and response. */
const AUDITED: Record<string, (req: Record<string, any>, res: Record<string, any>) => ['create' | 'delete', string, unknown]> = {
  'EnvService/CreateEnv': (_req, res) => ['create', 'env_session', res?.env?.id],
  'EnvService/DeleteEnv': (req) => ['delete', 'env_session', req.id],
  'EnvService/RegisterReward': (req) => ['create', 'reward', req.name],
  'EnvService/DeleteReward': (req) => ['delete', 'reward', req.name],
  'AgentService/CreateAgent': (_req, res) => ['create', 'agent', res?.agent?.id],
  'AgentService/ImportAgent': (_req, res) => ['create', 'agent', res?.agent?.id],
  'AgentService/DeleteAgent': (req) => ['delete', 'agent', req.id],
};
