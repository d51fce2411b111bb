import { randomBytes } from 'node:crypto';
import { DomainError } from '../core/errors.js';
import type { Caller } from '../core/sessions/caller.js';
import type { Authenticator } from './auth/authenticator.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { UsageTracker } from './usage.js';

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

/** A streaming call the server may have to end itself (shutdown): StepStream, Train over gRPC or NDJSON. */
export interface OpenStream {
  /** Ends the stream with UNAVAILABLE and `message` after the answers already due. */
  endForShutdown(message: string): void;
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

  constructor(
    private readonly auth: Authenticator,
    private readonly usage: UsageTracker,
    private readonly metrics: Metrics,
    readonly logger: Logger,
    private readonly draining: () => boolean,
  ) {}

  begin(method: string, transport: Transport, clientRequestId?: string): CallScope {
    const requestId = clientRequestId && REQUEST_ID.test(clientRequestId) ? clientRequestId : randomBytes(9).toString('base64url');
    const start = performance.now();
    let ended = false;
    const scope: CallScope = {
      requestId,
      method,
      transport,
      caller: undefined,
      end: (err?: unknown) => {
        if (ended) return;
        ended = true;
        const code = err === undefined ? 'OK' : err instanceof DomainError ? err.code : 'INTERNAL';
        const seconds = (performance.now() - start) / 1000;
        this.metrics.rpcTotal.inc({ method, transport, code });
        this.metrics.rpcDuration.observe({ method, transport, code }, seconds);
        if (err instanceof DomainError && err.code === 'RESOURCE_EXHAUSTED') this.metrics.quotaRefusals.inc({ reason: err.reason || 'RESOURCE_EXHAUSTED' });
        const fields = { reqId: requestId, user: scope.caller?.user, role: scope.caller?.role, method, transport, code, durationMs: Math.round(seconds * 1e6) / 1000 };
        if (code === 'INTERNAL') this.logger.error({ ...fields, err }, 'request failed: internal error');
        else this.logger.info(err instanceof DomainError ? { ...fields, reason: err.reason } : fields, 'request');
      },
    };
    return scope;
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
