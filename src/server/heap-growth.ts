/**
 * The V8 heap setting of a serving process (`gymhost serve`, and bench/echo-server.ts, its
 * peer in bench/per-call.ts, so both run with the same heap).
 */
import v8 from 'node:v8';

/**
 * How far V8's old generation may grow above the live heap before a full collection, percent
 * (V8's own heuristics move between 10 and 300). Every gRPC answer is a new buffer of
 * grpc-js's, and the bytes of those a young collection has not freed yet count towards the
 * old generation's limit: with a server's small live heap (about 20 MB) and 4,096-copy vector
 * steps (108 KiB answers), V8's own choice ran a full collection about every hundred calls
 * (bench/README.md, "Server heap": 94-177 full collections in a run instead of 12).
 * GYMHOST_HEAP_GROWING_PERCENT overrides it; 0 leaves V8's heuristics.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 200;

/** GYMHOST_HEAP_GROWING_PERCENT or the default; throws on a value that is not an integer in [0, 1000]. */
export function heapGrowingPercent(env: NodeJS.ProcessEnv): number {
  const raw = env.GYMHOST_HEAP_GROWING_PERCENT;
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 1000) {
    throw new Error(`GYMHOST_HEAP_GROWING_PERCENT must be an integer from 0 (V8's own heuristics) to 1000, got "${raw}"`);
  }
  return value;
}

/**
 * Sets V8's --heap-growing-percent from heapGrowingPercent(env) (nothing for 0). V8 computes
 * the old generation's limit anew after every full collection, so setting it at run time
 * takes effect. Throws as heapGrowingPercent does.
 */
export function applyHeapGrowingPercent(env: NodeJS.ProcessEnv): void {
  const percent = heapGrowingPercent(env);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
