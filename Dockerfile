# syntax=docker/dockerfile:1
# The shopdb image: the CLI and the HTTP API with every bundled plugin (a site picks its plugins
# with `shopdb plugin install`). Entrypoint `shopdb`, default command `serve`. No configuration
# or secret is baked in: the compose stack passes the site's .env (docker-compose.yml).
#
#   docker build -t shopdb:latest .        (or let `shopdb up` / `docker compose build` do it)
#
# Stages: build (dev dependencies, compiles TypeScript and the oclif manifest), prod-deps
# (production dependencies only, with better-sqlite3's native module), runtime (slim, non-root).

ARG NODE_IMAGE=node:22-bookworm-slim

# ── build ─────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script builds, and the sources are not copied yet. Compiling
# needs no native module, so none is built here (prod-deps builds better-sqlite3).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# plugins/ may not exist in every checkout; the runtime stage copies it either way.
RUN mkdir -p plugins \
 && npm run build

# ── production dependencies ───────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
# A compiler for better-sqlite3 when no prebuilt binary fits the platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts skips `prepare` (a build needs dev dependencies); `npm rebuild` then runs
# better-sqlite3's own install step: a prebuilt binary, or a compile.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# ── runtime ───────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
# default-mysql-client is MariaDB's client on Debian (mariadb-dump, mariadb): what `shopdb backup`
# runs inside the container. The stack's server is MySQL 8.4; docs/adr/ADR-011 says why that
# pairing is accepted and what to watch for.
RUN apt-get update \
 && apt-get install -y --no-install-recommends default-mysql-client \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    BACKUP_DIR=/var/lib/shopdb/backups \
    SHOPDB_ENV_FILE=/etc/shopdb/container.env

WORKDIR /app
# Owned by root and read-only to the service user: the running API cannot change its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/package-lock.json /app/oclif.manifest.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/templates ./templates
COPY --from=build /app/plugins ./plugins
COPY --from=build /app/docker/healthcheck.mjs ./docker/healthcheck.mjs

# `shopdb` on the PATH for `docker compose exec api shopdb …`; the settings come from the
# container's environment, so the .env shopdb looks for is an empty, commented file.
RUN ln -s /app/bin/run.js /usr/local/bin/shopdb \
 && mkdir -p /etc/shopdb /var/lib/shopdb/backups \
 && printf '%s\n' '# Inside the container the configuration comes from the environment (compose env_file).' > /etc/shopdb/container.env \
 && chown -R node:node /var/lib/shopdb

USER node
VOLUME ["/var/lib/shopdb/backups"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.mjs"]
# bin/run.js runs through its shebang (`node --`): never `node bin/run.js`, which would let Node
# claim an --env-file argument meant for shopdb.
ENTRYPOINT ["/app/bin/run.js"]
CMD ["serve"]
