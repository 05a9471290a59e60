# mlplane API and worker image. Build: docker build -t mlplane .
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip make g++ curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY native ./native
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build
ENV NODE_ENV=production MLPLANE_HOST=0.0.0.0 PORT=4000
EXPOSE 4000
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
