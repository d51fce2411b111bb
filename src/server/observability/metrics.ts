import { Counter, Gauge, Registry, collectDefaultMetrics, type CounterConfiguration } from 'prom-client';

/**
 * The server's Prometheus metrics (prom-client), in a registry of its own so that several
 * servers in one process (tests) do not share counters. Served at GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Calls by method, transport and final status code (gRPC code name), and their latency: gymhost_rpc_total and gymhost_rpc_duration_seconds. */
  readonly rpc = new RpcMetrics(this.registry);
  readonly envSteps = new BatchedCounter({ name: 'gymhost_env_steps_total', help: 'Env steps taken by clients (each copy of a vector session counts)', registers: [this.registry] });
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

/**
 * A label-less counter for counts added on every call (env steps): `inc` adds to a number,
 * which goes into the prom-client Counter when the registry is read.
 */
export class BatchedCounter {
  private pending = 0;
  readonly counter: Counter;

  constructor(config: Omit<CounterConfiguration<string>, 'collect' | 'labelNames'>) {
    const self = this;
    this.counter = new Counter({
      ...config,
      collect() {
        if (self.pending > 0) this.inc(self.pending);
        self.pending = 0;
      },
    });
  }

  inc(value = 1): void {
    if (!(value >= 0) || !Number.isFinite(value)) throw new TypeError(`counter increments must be finite and >= 0, got ${value}`);
    this.pending += value;
  }
}

/** Upper bounds of gymhost_rpc_duration_seconds (the last bucket, +Inf, is implicit). */
export const RPC_DURATION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The labels of one RPC series. */
export interface RpcLabels {
  readonly method: string;
  readonly transport: string;
  readonly code: string;
}

/** One (method, transport, code) series of the RPC metrics: its count, latency sum and latency bucket counts. */
export class RpcSeries {
  count = 0;
  sum = 0;
  /** Calls per bucket (not cumulative); the last one is above the last bound. */
  readonly buckets = new Float64Array(RPC_DURATION_BUCKETS.length + 1);

  constructor(readonly labels: RpcLabels) {}

  /** One call that took `seconds`. */
  record(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let i = 0;
    const bounds = RPC_DURATION_BUCKETS;
    while (i < bounds.length && seconds > bounds[i]) i++;
    this.buckets[i]++;
  }
}

/**
 * gymhost_rpc_total (counter) and gymhost_rpc_duration_seconds (histogram) of every call,
 * kept as plain numbers per series (no label hashing or objects per call: callers hold their
 * series) and given to the registry in prom-client's own form, so the exposition text is the
 * one prom-client's Counter and Histogram write.
 */
export class RpcMetrics {
  private readonly series = new Map<string, RpcSeries>();

  constructor(registry: Registry) {
    const all = () => [...this.series.values()];
    const total = {
      name: 'gymhost_rpc_total',
      help: 'RPCs and REST calls by method, transport and status code',
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        name: total.name,
        help: total.help,
        type: 'counter',
        aggregator: 'sum',
        values: all().map((s) => ({ labels: { ...s.labels }, value: s.count })),
      }),
      reset: () => this.series.clear(),
    };
    const duration = {
      name: 'gymhost_rpc_duration_seconds',
      help: 'Call latency by method, transport and status code (a stream: its whole life)',
      type: 'histogram',
      aggregator: 'sum',
      getForPromString: async () => ({ name: duration.name, help: duration.help, type: 'histogram', aggregator: 'sum', values: histogramValues(duration.name, all(), false) }),
      get: async () => ({ name: duration.name, help: duration.help, type: 'histogram', aggregator: 'sum', values: histogramValues(duration.name, all(), true) }),
      reset: () => this.series.clear(),
    };
    registry.registerMetric(total as never);
    registry.registerMetric(duration as never);
  }

  /** The series of `method`, `transport` and `code` (made on first use; callers may keep it). */
  get(method: string, transport: string, code: string): RpcSeries {
    const key = `${transport} ${method} ${code}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new RpcSeries({ method, transport, code })));
    return s;
  }
}

/**
 * A histogram's values as prom-client's Histogram gives them: per series its cumulative
 * buckets (le), +Inf, _sum and _count; series labels as `sharedLabels` (getForPromString) or
 * merged into the labels (get).
 */
function histogramValues(name: string, series: RpcSeries[], merged: boolean): object[] {
  const out: object[] = [];
  const pair = (labels: Record<string, string | number>, value: number, metricName: string, shared: RpcLabels) =>
    merged ? { labels: { ...labels, ...shared }, value, metricName } : { labels, sharedLabels: shared, value, metricName };
  for (const s of series) {
    let acc = 0;
    for (let i = 0; i < RPC_DURATION_BUCKETS.length; i++) {
      acc += s.buckets[i];
      out.push(pair({ le: RPC_DURATION_BUCKETS[i] }, acc, `${name}_bucket`, s.labels));
    }
    out.push(pair({ le: '+Inf' }, s.count, `${name}_bucket`, s.labels));
    out.push(pair({}, s.sum, `${name}_sum`, s.labels));
    out.push(pair({}, s.count, `${name}_count`, s.labels));
  }
  return out;
}
