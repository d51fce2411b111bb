/**
 * Which env sessions and agents a call names, read off its request, so that a replica can
 * bring them here before the call runs (replica-leases.ts). Methods are 'EnvService/Step',
 * 'AgentService/Train' and so on, as both transports name them.
 */
import type { LeaseKind } from '../../store/postgres-store.js';

/**
 * A transport's hook before a call runs: undefined when everything the call names is served
 * here, else a promise that settles once it is (ReplicaLeases.locate). Absent on one server.
 */
export type Locate = (method: string, req: unknown) => Promise<void> | undefined;

/** AgentService methods whose `id` is a training run's, not an agent's. */
const RUN_METHODS = new Set(['AgentService/GetRun', 'AgentService/CancelRun', 'AgentService/WatchRun', 'AgentService/ExportRunCheckpoint', 'AgentService/ListRuns']);

/** EnvService methods that name no session in `id` (reward functions are the owner's). */
const NO_SESSION = new Set(['EnvService/CreateEnv', 'EnvService/ListEnvs', 'EnvService/ListEnvTypes', 'EnvService/RegisterReward', 'EnvService/ListRewards', 'EnvService/DeleteReward']);

/** The [kind, id] pairs a request names (an empty list for most calls that create or list). */
export function resourcesOf(method: string, req: unknown): [LeaseKind, string][] {
  const r = req as { id?: unknown; env?: unknown; request?: { value?: { id?: unknown } } } | undefined;
  if (!r || typeof r !== 'object') return [];
  const out: [LeaseKind, string][] = [];
  if (method.startsWith('EnvService/')) {
    if (method === 'EnvService/StepStream') {
      const id = r.request?.value?.id;
      if (typeof id === 'string' && id) out.push(['env', id]);
    } else if (!NO_SESSION.has(method) && typeof r.id === 'string' && r.id) out.push(['env', r.id]);
  } else if (method.startsWith('AgentService/') && !RUN_METHODS.has(method)) {
    if (typeof r.id === 'string' && r.id && method !== 'AgentService/CreateAgent' && method !== 'AgentService/ImportAgent') out.push(['agent', r.id]);
    if (typeof r.env === 'string' && r.env) out.push(['env', r.env]);
  }
  return out;
}
