# syntax=docker/dockerfile:1
# contrail-lb-operator container image.
#
#   docker build -t registry.example.com/contrail-lb-operator:0.1.0 .
#
# Base image: the official Node image at exactly the version the project pins and tests on
# (package.json devDependency `node`, 24.21.0 — Node 24 is the active LTS). An exact tag is
# the pin a human can read; for bit-for-bit reproducible builds append the digest your registry
# reports (node:24.21.0-bookworm-slim@sha256:...), e.g. with Renovate's docker digest pinning.
# Why not distroless: gcr.io/distroless/nodejs24-debian12 has no per-version tags, so its Node
# version could only be pinned by an opaque digest and would drift from the one the tests ran on.
# The runtime stage below removes npm, npx, corepack and yarn instead, so the image carries Node
# and the operator's production dependencies only (no compiler, no package manager for JS).
# The test test/unit/dockerfile.test.ts checks these properties (no Docker engine needed).

# --- 1. production dependencies only (what ships in node_modules) ---------------------------
FROM node:24.21.0-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency needs an install script, and none gets to run one.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- 2. compile TypeScript to dist/ (dev dependencies live and die here) -----------------------
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: the `node` devDependency's install script would fetch a second Node; tsc needs none.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && cp src/sim/default-topology.yaml dist/src/sim/

# --- 3. runtime ------------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS runtime
# No package manager or JS tooling in the final image; the CLI on PATH as `contrail-lb-operator`.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v* \
 && ln -s /app/bin/contrail-lb-operator.js /usr/local/bin/contrail-lb-operator
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=2
# NODE_OPTIONS caps V8's young generation (docs/scaling.md "Where the RSS goes"); the Deployment
# sets NODE_OPTIONS itself, with this flag and the old-space ceiling.
# Everything below is owned by root and read-only to the operator's user.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY --chmod=0755 bin ./bin
# CRD schemas: `contrail-lb-operator validate` (and the API metadata) read them at run time.
COPY crds ./crds
LABEL org.opencontainers.image.title="contrail-lb-operator" \
      org.opencontainers.image.description="Kubernetes operator for load balancing on OpenStack with Contrail / Tungsten Fabric or plain Neutron" \
      org.opencontainers.image.licenses="Apache-2.0"
# `node` (uid/gid 1000) from the base image; numeric so the kubelet can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8081
ENTRYPOINT ["contrail-lb-operator", "run"]
