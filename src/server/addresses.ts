/**
 * Where `gymhost serve` listens unless told otherwise. Its own module, without imports, so
 * that `gymhost --help` (src/cli.ts) can print the defaults without loading the server.
 */
export const DEFAULT_ADDRESSES = {
  host: '127.0.0.1',
  grpcPort: 50051,
  httpPort: 8080,
} as const;
