# syntax=docker/dockerfile:1
#
# One image for every Vigie server process; the command picks the process:
#   node api/dist/main.js        REST API + the built web app (port 3000)
#   node worker/dist/main.js     Temporal worker
#   node ingest/dist/main.js     JetStream consumer (telemetry, alerts)
#   node scripts/dist/migrate.js database migrations, as the owner role (one-shot)
#
#   docker build -t vigie .                          → target "runtime" (the default: last stage)
#   docker build --target worker -t vigie-worker .   → runtime + LibreOffice, for Carbone PDFs
#
# The build context is filtered by .dockerignore: host node_modules, dist folders, local data and
# secrets never enter the build.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------
# Manifests only: the npm ci layers below are rebuilt when a package.json or the lock file changes,
# not on every source change. Every workspace of the root package.json must be listed here, or npm ci
# fails on the missing workspace (scripts/test/compose.test.ts checks the list).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY db/package.json db/
COPY migrations/package.json migrations/
COPY workflows/package.json workflows/
COPY activities/package.json activities/
COPY worker/package.json worker/
COPY api/package.json api/
COPY ingest/package.json ingest/
COPY agent/package.json agent/
COPY web/package.json web/
COPY scripts/package.json scripts/

# ---------------------------------------------------------------------------------------------------
# Build: all dependencies (dev included), then `npm run build` = tsc -b, the workflow bundles
# (workflows/bundles) and the web app (web/dist). npm scripts run with the "node" devDependency
# (Node 24) first on PATH, the same major as the base image.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------------
# Production dependencies only. --omit=dev also leaves out the "node" devDependency (a second Node 24
# binary from npm): the base image already is Node 24. Native modules (argon2, Temporal's core bridge)
# ship prebuilt N-API binaries for linux glibc, so no compiler is needed here.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------------
# The application tree: production node_modules (workspace packages are symlinks into /app/<ws>) plus
# each workspace's compiled output. The agent runs on managed machines, not here: only its one-file
# bundle is in the image, for the api to serve to the installer (/install/vigie-agent.js), and the Windows
# service wrapper the Windows installer downloads (/install/winsw.exe).
FROM prod-deps AS app
COPY --from=build /app/core/dist core/dist
COPY --from=build /app/db/dist db/dist
COPY --from=build /app/migrations/dist migrations/dist
COPY --from=build /app/workflows/dist workflows/dist
# Workflow sandbox bundles, one per domain task queue, built at build time so workers start fast.
COPY --from=build /app/workflows/bundles workflows/bundles
COPY --from=build /app/activities/dist activities/dist
COPY --from=build /app/worker/dist worker/dist
COPY --from=build /app/api/dist api/dist
COPY --from=build /app/ingest/dist ingest/dist
COPY --from=build /app/scripts/dist scripts/dist
# The built web app, served by the api (WEB_DIST).
COPY --from=build /app/web/dist web/dist
COPY --from=build /app/agent/dist/vigie-agent.js agent/dist/vigie-agent.js
COPY --from=build /app/agent/dist/winsw.exe agent/dist/winsw.exe
COPY --from=build /app/agent/install agent/install

# ---------------------------------------------------------------------------------------------------
# What every final image shares.
FROM ${NODE_IMAGE} AS base
# tini as PID 1: forwards SIGTERM to node (graceful shutdown of the HTTP server, the Temporal worker,
# the JetStream consumer) and reaps orphaned children such as LibreOffice's helper processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
# HOST: inside a container the api must listen on every interface, not loopback.
# NODE_OPTIONS: dist/ ships source maps, so stack traces in the logs point at the TypeScript sources.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WEB_DIST=/app/web/dist \
    NODE_OPTIONS=--enable-source-maps
# Uploaded documents: a named volume mounted here starts with this ownership, so `node` can write.
RUN mkdir -p /data/documents && chown node:node /data/documents
ENV STORAGE_DIR=/data/documents
WORKDIR /app
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---------------------------------------------------------------------------------------------------
# Worker image: Carbone renders ODT/DOCX templates to PDF through LibreOffice.
FROM base AS worker
RUN apt-get update \
    && apt-get install -y --no-install-recommends libreoffice-writer-nogui python3-uno fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Carbone looks for soffice.bin on PATH when it is loaded, and LibreOffice must start Debian's python3
# (the one with the uno module), so both directories come first.
ENV PATH=/usr/lib/libreoffice/program:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin
# Root owns the code; the process cannot change it. LibreOffice keeps its profile in $HOME (/home/node).
COPY --from=app /app /app
USER node
CMD ["node", "worker/dist/main.js"]

# ---------------------------------------------------------------------------------------------------
# Default image: api, ingest, migrations (and a worker that renders no PDF).
FROM base AS runtime
COPY --from=app /app /app
USER node
CMD ["node", "api/dist/main.js"]
