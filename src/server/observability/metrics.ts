import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics (prom-client), in a registry of its own so that several
 * servers in one process (tests) do not share counters. Served at GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Calls by method, transport and final status code (gRPC code name). */
  readonly rpcTotal = new Counter({ name: 'gymhost_rpc_total', help: 'RPCs and REST calls by method, transport and status code', labelNames: ['method', 'transport', 'code'] as const, registers: [this.registry] });
  readonly rpcDuration = new Histogram({
    name: 'gymhost_rpc_duration_seconds',
    help: 'Call latency by method, transport and status code (a stream: its whole life)',
    labelNames: ['method', 'transport', 'code'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly envSteps = new Counter({ name: 'gymhost_env_steps_total', help: 'Env steps taken by clients (each copy of a vector session counts)', registers: [this.registry] });
  readonly trainingSteps = new Counter({ name: 'gymhost_training_steps_total', help: 'Env steps taken by server-side Train runs', registers: [this.registry] });
  readonly trainEpisodes = new Counter({ name: 'gymhost_train_episodes_total', help: 'Episodes of Train runs delivered to their clients', registers: [this.registry] });
  readonly rewardCalls = new Counter({ name: 'gymhost_reward_calls_total', help: 'Calls of sandboxed and plugin reward functions (a batched call counts once), by origin and result', labelNames: ['origin', 'result'] as const, registers: [this.registry] });
  readonly authFailures = new Counter({ name: 'gymhost_auth_failures_total', help: 'Refused authentications by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly quotaRefusals = new Counter({ name: 'gymhost_quota_refusals_total', help: 'Requests refused by a quota, by reason', labelNames: ['reason'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gymhost_', eventLoopMonitoringPrecision: 10 });
  }

  /** A gauge whose value is read when /metrics is scraped. */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: (set: (labels: Record<L, string>, value: number) => void) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        collect((labels, value) => this.set(labels as never, value));
      },
    });
  }

  /** The exposition text for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
