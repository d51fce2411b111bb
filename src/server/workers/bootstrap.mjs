// Entry of a compute-pool worker thread when the server runs from the TypeScript sources
// (the tests, through tsx): loads tsx, then the worker itself. The compiled server (dist/,
// what bin/gymhost.js runs) starts dist/server/workers/worker.js directly (pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
