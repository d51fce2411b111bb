# gymhost server image. Build and run: docs/install.md ("The Docker image").
#   docker build -t gymhost .
#   docker run -p 50051:50051 -p 8080:8080 -v gymhost-data:/data -e GYMHOST_USERS=/data/users.yaml gymhost
# Without GYMHOST_USERS (or --users FILE) the server refuses to listen on 0.0.0.0: pass
# `serve --host 0.0.0.0 --insecure-no-auth` explicitly to run it open on a trusted network.

# Build stage: `npm ci` installs every dependency and runs the `prepare` script (npm run build:
# tsc compiles src/ to dist/), then the dev dependencies (TypeScript, tsx, the optional tfjs
# engine) are pruned. node:20-bookworm has python3, make and g++ for node-gyp, which
# better-sqlite3 falls back to when no prebuilt binary fits.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY bin/ bin/
COPY src/ src/
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

# Runtime stage: the compiled app and its production dependencies from the build stage, owned
# by root and run as the unprivileged "node" user of the base image (uid and gid 1000); its
# only writable place is the data volume.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GYMHOST_DATA_DIR=/data \
    GYMHOST_GRPC_PORT=50051 \
    GYMHOST_HTTP_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json /app/package.json
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/bin /app/bin
COPY --from=build /app/dist /app/dist
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 50051 8080
# /healthz answers 200 while serving and 503 while draining. It follows GYMHOST_HTTP_PORT and,
# with GYMHOST_TLS_CERT set, asks over https without verifying the (local) certificate.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const tls = Boolean(process.env.GYMHOST_TLS_CERT); if (tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; fetch(`${tls ? 'https' : 'http'}://127.0.0.1:${process.env.GYMHOST_HTTP_PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/gymhost.js"]
CMD ["serve", "--host", "0.0.0.0"]
