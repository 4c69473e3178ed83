# syntax=docker/dockerfile:1
# taskbeat: one image for every function group; the Deployment picks the group (FUNCTION_GROUP).
# TypeScript runs through tsx at run time (bin/taskbeat.mjs), so the image holds the sources and the
# production node_modules (tsx is a production dependency), and there is no compile stage.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: production dependencies only, from the lockfile -------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    JOBS_DIR=/app/jobs
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY runtime ./runtime
COPY functions ./functions
COPY jobs ./jobs
RUN ln -s /app/bin/taskbeat.mjs /usr/local/bin/taskbeat && chmod 0755 /app/bin/taskbeat.mjs
# The image's `node` user (uid/gid 1000), numeric so Kubernetes' runAsNonRoot can verify it. Nothing under
# /app is writable by it; tsx's cache goes to /tmp (an emptyDir in Kubernetes, the root fs is read-only).
USER 1000:1000
EXPOSE 3000
# The shell only expands FUNCTION_GROUP and then execs node, so node is PID 1 and gets SIGTERM itself.
# Kubernetes sets command/args explicitly (manifests/base/<group>.yaml); `docker run … taskbeat migrate` works.
CMD ["/bin/sh", "-c", "exec taskbeat serve --group \"${FUNCTION_GROUP:?set FUNCTION_GROUP to a function group}\""]
