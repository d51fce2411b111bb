import type http from 'node:http';

/** Resolves once no HTTP request is in flight on `server` (or after `ms` milliseconds). */
export function waitForIdleHttp(server: http.Server, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = performance.now() + ms;
    const check = () => {
      server.getConnections((_err, count) => {
        // Idle keep-alive connections count too; closeIdleConnections drops those.
        server.closeIdleConnections();
        if (count === 0 || performance.now() >= deadline) resolve();
        else setTimeout(check, 25).unref();
      });
    };
    check();
  });
}
