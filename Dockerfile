# syntax=docker/dockerfile:1
# taskbeat: one image for every function group; the Deployment picks the group (FUNCTION_GROUP).
# The image runs the compiled build (dist/, one module per command and per function group) through
# bin/taskbeat.mjs; the TypeScript sources stay in the build stage.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: production dependencies only, from the lockfile -------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds dist/, which needs the sources and esbuild; the build stage does it.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

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
ENV NODE_ENV=production \
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
RUN ln -s /app/bin/taskbeat.mjs /usr/local/bin/taskbeat && chmod 0755 /app/bin/taskbeat.mjs
# The image's `node` user (uid/gid 1000), numeric so Kubernetes' runAsNonRoot can verify it. Nothing under
# /app is writable by it.
USER 1000:1000
EXPOSE 3000
# The shell only expands FUNCTION_GROUP and then execs node, so node is PID 1 and gets SIGTERM itself.
# Kubernetes sets command/args explicitly (manifests/base/<group>.yaml); `docker run … taskbeat migrate` works.
CMD ["/bin/sh", "-c", "exec taskbeat serve --group \"${FUNCTION_GROUP:?set FUNCTION_GROUP to a function group}\""]
