# The hookd image: `hookd serve` by default, and every other command (`agent`, `docker watch`, …).
#   docker build -t hookd .
#   docker run -e HOOKD_TOKEN=s3cret -p 8787:8787 hookd                # the service
#   docker run hookd agent --mode local --host 0.0.0.0                 # the exec agent (docs/agent.md)
# BASE_IMAGE: Node 24 with npm; the official slim image by default. CI builds from one it makes on
# the spot, offline (test/docker/image.test.ts). NPM_REGISTRY: a registry mirror, if any.
ARG BASE_IMAGE=node:24-slim

FROM ${BASE_IMAGE} AS build
ARG NPM_REGISTRY=https://registry.npmjs.org/
WORKDIR /opt/hookd
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --registry "$NPM_REGISTRY" \
  && rm -rf /root/.npm
# .dockerignore lets in only what hookd runs: bin/, src/, schema/, LICENSE.
COPY . .

FROM ${BASE_IMAGE}
COPY --from=build /opt/hookd /opt/hookd
# `hookd` on PATH; a state directory the non-root user owns (HOOKD_STORE's sqlite default is
# relative to the working directory).
RUN ln -s /opt/hookd/bin/hookd.mjs /usr/local/bin/hookd \
  && mkdir -p /var/lib/hookd && chown node:node /var/lib/hookd
WORKDIR /var/lib/hookd
USER node
# A smaller young generation: about 100 MB less RSS in a burst of thousands of hooks, for the same
# CPU (docs/operations.md, "Memory in bursts"). Set NODE_OPTIONS to override.
ENV NODE_OPTIONS=--max-semi-space-size=8
EXPOSE 8787
# node:*-slim has no curl: Node's fetch asks. PORT is the port `hookd serve` listens on (8787).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8787}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["hookd"]
# In a container the service listens on every interface, and so needs HOOKD_TOKEN to start.
CMD ["serve", "--host", "0.0.0.0"]
