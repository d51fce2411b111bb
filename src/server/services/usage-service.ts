import type { Authenticator } from '../auth/authenticator.js';
import { mayAccess, type Caller, type Role as DomainRole } from '../../core/sessions/caller.js';
import { notFound } from '../../core/errors.js';
import { Role, type GetUsageRequest, type GetUsageResponse, type Usage, type UsageTotals } from '../../gen/gymhost/v1/usage_service.js';
import type { UsageCounts, UsageTracker, UserTotals } from '../usage.js';
import type { Quotas } from '../auth/quotas.js';

const ROLE_TO_PROTO: Record<DomainRole, Role> = { student: Role.ROLE_STUDENT, instructor: Role.ROLE_INSTRUCTOR, admin: Role.ROLE_ADMIN };

/** A user's running totals over every replica (replicas share them through the database). */
export type SharedTotals = (user: string, local: UserTotals | undefined) => Promise<UserTotals | undefined>;

/** GetUsage: a user's use against its quotas, and the server's memory budget. */
export class UsageService {
  constructor(
    private readonly usage: UsageTracker,
    private readonly auth: Authenticator,
    /** Replicas: totals from the database (with this replica's unsaved counts); undefined on one server. */
    private readonly sharedTotals?: SharedTotals,
  ) {}

  getUsage(req: GetUsageRequest, caller: Caller): GetUsageResponse | Promise<GetUsageResponse> {
    let subject: Caller = caller;
    if (req.user && req.user !== caller.user) {
      const role = this.auth.roleOf(req.user);
      // Students asking about anyone else get the same answer as for a user that does not exist.
      if (!role || !mayAccess(caller, req.user, 'read')) throw notFound('user', `no user '${req.user}'`, 'USER_NOT_FOUND');
      subject = { user: req.user, role };
    }
    const all = this.usage.usageByUser();
    const quotas = this.usage.quotas(subject);
    const answer: GetUsageResponse = {
      user: subject.user,
      role: ROLE_TO_PROTO[subject.role],
      used: countsToProto(all.get(subject.user)),
      quota: quotasToProto(quotas),
      requestsPerSecond: quotas.requestsPerSecond,
      requestBurst: quotas.requestBurst,
      requestTokens: quotas.requestsPerSecond > 0 ? this.usage.requestTokens(subject) : 0,
      serverMemoryBudgetBytes: this.usage.memoryBudget,
      serverMemoryUsedBytes: all.get('')?.memoryBytes ?? 0,
      authentication: this.auth.enabled,
      totals: totalsToProto(this.usage.totals.get(subject.user)),
    };
    if (!this.sharedTotals) return answer;
    return this.sharedTotals(subject.user, this.usage.totals.get(subject.user)).then((t) => ({ ...answer, totals: totalsToProto(t) }));
  }
}

function countsToProto(u: UsageCounts | undefined): Usage {
  return {
    envSessions: u?.envSessions ?? 0,
    agents: u?.agents ?? 0,
    rewards: u?.rewards ?? 0,
    concurrentTrains: u?.concurrentTrains ?? 0,
    memoryBytes: Math.round(u?.memoryBytes ?? 0),
  };
}

function quotasToProto(q: Quotas): Usage {
  return { envSessions: q.envSessions, agents: q.agents, rewards: q.rewards, concurrentTrains: q.concurrentTrains, memoryBytes: q.memoryBytes };
}

function totalsToProto(t: UserTotals | undefined): UsageTotals {
  return {
    firstSeenTime: t ? new Date(t.firstSeen) : undefined,
    lastSeenTime: t ? new Date(t.lastSeen) : undefined,
    requests: t?.requests ?? 0,
    envSteps: t?.envSteps ?? 0,
    trainingSteps: t?.trainingSteps ?? 0,
  };
}
