import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** gymhost's version, from package.json. */
export const VERSION: string = pkg.version;
/** The protobuf API's version. */
export const API_VERSION = 'gymhost.v1';
