# One image for every service; the command picks which one runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# a bounded old generation keeps each service under 200 MB RSS (docs/benchmarks.md, P6)
ENV NODE_OPTIONS=--max-old-space-size=128
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the web app's templates and static files (tsc copies only code)
COPY --from=build /app/apps/web/views ./apps/web/views
COPY --from=build /app/apps/web/public ./apps/web/public
COPY package.json ./
USER node
CMD ["node", "dist/apps/org-service/src/main.js"]
