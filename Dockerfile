# mlplane API and worker image, in two stages.
#   build:   docker build -t mlplane .
#   run:     docker compose up --build   (docker-compose.yml: PostgreSQL, API, workers)
# CI checks this file without a Docker engine: .ci/docker-check.sh copies exactly the files the
# build stage copies into a clean folder and runs the build stage's npm commands there.

# --- build: the toolchain, every dependency, the TypeScript build and the native addon ---------
FROM node:22-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY native ./native
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY examples ./examples
COPY web ./web
RUN npm run build && npm run build:web
RUN npm prune --omit=dev --no-audit --no-fund

# --- runtime: Node.js 22 slim, production dependencies and the addon only, as a non-root user ---
FROM node:22-slim AS runtime
ENV NODE_ENV=production MLPLANE_HOST=0.0.0.0 PORT=4000 MLPLANE_DATA_DIR=/var/lib/mlplane
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/examples ./examples
COPY --from=build --chown=node:node /app/web/dist ./web/dist
COPY --from=build --chown=node:node /app/native/train-step/build/Release ./native/train-step/build/Release
RUN mkdir -p /var/lib/mlplane && chown node:node /var/lib/mlplane
USER node
EXPOSE 4000
# /readyz: database reachable, migrations applied, event bus listening (no curl in the slim image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
