import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGrpcServer } from './grpc/server.js';
import { createRestApp } from './rest/app.js';
import { answerClientErrors } from './http/client-error.js';
import { envTypes } from '../core/envs/registry.js';
import { loadRewardPlugins } from '../core/rewards/plugins.js';
import { loadSandbox } from '../core/rewards/sandbox.js';
import { DEFAULT_LIMITS, EnvService, type EnvServiceLimits } from './services/env-service.js';
import { AgentService, DEFAULT_AGENT_LIMITS, type AgentServiceLimits } from './services/agent-service.js';

export interface ServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1" or "0.0.0.0". */
  readonly host: string;
  /** gRPC port (0 = pick a free one). */
  readonly grpcPort: number;
  /** HTTP port (0 = pick a free one). */
  readonly httpPort: number;
  /** Largest gRPC message and REST body in bytes. */
  readonly maxMessageBytes: number;
  readonly limits: EnvServiceLimits;
  readonly agentLimits: AgentServiceLimits;
  /**
   * Directory of reward plugin modules (see src/core/rewards/plugins.ts); a broken plugin
   * stops start-up with an error naming the file. Undefined or '' = none.
   */
  readonly rewardPlugins?: string;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  grpcPort: 50051,
  httpPort: 8080,
  maxMessageBytes: 16 * 1024 * 1024,
  limits: DEFAULT_LIMITS,
  agentLimits: DEFAULT_AGENT_LIMITS,
};

/** A running gymhost: gRPC and HTTP servers over one EnvService. */
export interface RunningServer {
  readonly envs: EnvService;
  readonly agents: AgentService;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Stops accepting calls, lets running ones finish (up to graceMs), frees every session. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  const plugins = options.rewardPlugins ? await loadRewardPlugins(options.rewardPlugins, [...envTypes.keys()]) : [];
  await loadSandbox();
  const envs = new EnvService(options.limits, { plugins });
  const agents = new AgentService(envs, options.agentLimits);
  let serving = true;
  const { server: grpcServer, health } = createGrpcServer(envs, agents, { maxMessageBytes: options.maxMessageBytes });
  const hostForUri = options.host.includes(':') ? `[${options.host}]` : options.host;
  const grpcPort = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync(`${hostForUri}:${options.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });

  const app = createRestApp({ envs, agents }, { maxBodyBytes: options.maxMessageBytes, healthy: () => serving });
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;
  answerClientErrors(httpServer, http.maxHeaderSize);
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.httpPort, options.host, () => resolve());
    });
  } catch (err) {
    grpcServer.forceShutdown();
    agents.close();
    envs.close();
    throw err;
  }
  const httpPort = (httpServer.address() as AddressInfo).port;

  return {
    envs,
    agents,
    grpcPort,
    httpPort,
    grpcAddress: `${hostForUri}:${grpcPort}`,
    httpAddress: `http://${hostForUri}:${httpPort}`,
    async close(graceMs = 5000) {
      serving = false;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus('gymhost.v1.EnvService', 'NOT_SERVING');
      health.setStatus('gymhost.v1.AgentService', 'NOT_SERVING');
      const grpcDone = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, graceMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      const httpDone = new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeIdleConnections();
        setTimeout(() => {
          httpServer.closeAllConnections();
        }, graceMs).unref();
      });
      agents.close();
      await Promise.all([grpcDone, httpDone]);
      envs.close();
    },
  };
}
