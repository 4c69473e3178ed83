# syntax=docker/dockerfile:1
# taskbeat: one image for every function group; the Deployment picks the group (FUNCTION_GROUP).
# The image runs the compiled build (dist/, one module per command and per function group) through
# bin/taskbeat.mjs; the TypeScript sources stay in the build stage.

# Node.js 24 LTS, pinned to a full release (CI runs the suite on Node 24 too, .ci/run). For reproducible builds pin
# the digest as well: node:24.22.3-bookworm-slim@sha256:<digest of your registry's copy>.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# --- deps: production dependencies only, from the lockfile -------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds dist/, which needs the sources and esbuild; the build stage does it.
# --omit=optional too: typescript is in the lockfile as an optional peer of valibot (devOptional), which
# --omit=dev alone still installs (23 MB); nothing needs it at run time.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- build: compile runtime/ and functions/ into dist/ (npm run build) ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# --ignore-scripts also skips `postinstall`, so the dependency patches of patches/ (patch-package, a dev
# dependency) are applied here by hand; a patch that no longer applies fails the build.
RUN npm ci --ignore-scripts --no-audit --no-fund && node_modules/.bin/patch-package --error-on-fail
COPY scripts ./scripts
COPY runtime ./runtime
COPY functions ./functions
RUN npm run build

# --- runtime ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Re-declared: an ARG from before the first FROM is in scope only in FROM lines, not in this stage's LABEL.
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="taskbeat" \
      org.opencontainers.image.description="Event-driven task service for AI assistants: MCP tools, email reminders and recurring tasks behind a Dapr sidecar" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# dist/ ships its source maps (esbuild sourcemap: linked): stack traces in the logs name runtime/ and functions/
# files and lines. Node builds the mapped stack only when an error's stack is read.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PORT=3000 \
    JOBS_DIR=/app/jobs
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The deps stage has no patch-package: each package patched in patches/ comes from the build stage instead
# (same lockfile, same version, patch applied). postgres: see docs/operations.md, "Dropped database connections".
COPY --from=build /app/node_modules/postgres ./node_modules/postgres
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY jobs ./jobs
# npm, npx and corepack are not used at run time: removing them leaves less to patch in the image.
RUN ln -s /app/bin/taskbeat.mjs /usr/local/bin/taskbeat && chmod 0755 /app/bin/taskbeat.mjs \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
# The image's `node` user (uid/gid 1000), numeric so Kubernetes' runAsNonRoot can verify it. Nothing under
# /app is writable by it.
USER 1000:1000
EXPOSE 3000
# The shell only expands FUNCTION_GROUP and then execs node, so node is PID 1 and gets SIGTERM itself.
# Kubernetes sets command/args explicitly (manifests/base/<group>.yaml); `docker run … taskbeat migrate` works.
CMD ["/bin/sh", "-c", "exec taskbeat serve --group \"${FUNCTION_GROUP:?set FUNCTION_GROUP to a function group}\""]
