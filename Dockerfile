# canonql service image: compiled TypeScript on Node 20, production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY infra ./infra
COPY scripts ./scripts
COPY schema ./schema
COPY specs ./specs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production CANONQL_HTTP_HOST=0.0.0.0 CANONQL_HTTP_PORT=4000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
COPY specs ./specs
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
