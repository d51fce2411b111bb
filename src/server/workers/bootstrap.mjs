// Entry of a compute-pool worker thread: loads TypeScript through tsx (as bin/gymhost.js
// does for the main thread), then the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
