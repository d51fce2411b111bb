/**
 * The gym-http-api port's HTTP (or, with the server's TLS certificate, HTTPS) server: listens,
 * and on shutdown keeps listening while calls drain (new ones get 503 from the Gate, as on
 * the HTTP port), then closes.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { answerClientErrors } from '../http/client-error.js';
import { waitForIdleHttp } from '../http/wait-for-idle.js';

export interface GymHttpApiListener {
  readonly port: number;
  /** e.g. http://127.0.0.1:5000 */
  readonly address: string;
  /**
   * Closes once `drained` resolved (the server's gRPC calls are done) and no request is in
   * flight here, or after `graceMs` at the latest; connections still open then are cut.
   */
  close(graceMs: number, drained: Promise<void>): Promise<void>;
}

export async function listenGymHttpApi(
  app: express.Express,
  where: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } },
): Promise<GymHttpApiListener> {
  const server = where.tls ? https.createServer({ cert: where.tls.cert, key: where.tls.key }, app) : http.createServer(app);
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server, http.maxHeaderSize);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(new Error(`cannot listen on the gym-http-api port ${where.port}: ${err.message}`));
    server.once('error', fail);
    server.listen(where.port, where.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUri = where.host.includes(':') ? `[${where.host}]` : where.host;
  let closing: Promise<void> | undefined;
  return {
    port,
    address: `${where.tls ? 'https' : 'http'}://${hostForUri}:${port}`,
    close(graceMs, drained) {
      closing ??= new Promise<void>((resolve) => {
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          server.close(() => resolve());
          server.closeAllConnections();
        };
        const timer = setTimeout(finish, graceMs);
        void drained.then(() => waitForIdleHttp(server, graceMs)).then(() => {
          clearTimeout(timer);
          finish();
        });
      });
      return closing;
    },
  };
}
