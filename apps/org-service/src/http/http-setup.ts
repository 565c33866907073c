import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { HttpErrorFilter } from './http-error.filter';
import { httpValidationPipe } from './validation-errors';

/** Where the OpenAPI document is served; docs/openapi.json is a copy (apps/org-service/test/openapi.e2e-spec.ts). */
export const OPENAPI_JSON_PATH = '/docs-json';

/** The admin API's HTTP conventions: validated DTOs, one error shape, OpenAPI at /docs and /docs-json. */
export function configureAdminHttp(app: NestExpressApplication): void {
  app.useGlobalPipes(httpValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  SwaggerModule.setup('docs', app, () => adminApiDocument(app), { jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1) });
}

export function adminApiDocument(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('MFA enforcement: admin API')
    .setDescription(
      'Organizations, API keys, members, org-wide MFA policy, compliance and audit (docs/admin-api.md). ' +
        'Every error is `{statusCode, code, message, details?, errorId?}`; `code` is one of the codes of docs/admin-api.md, "Errors".',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description:
        'The platform key (`PLATFORM_API_KEY`; only for `POST /v1/orgs`) or an org API key (`mfak_<id>_<secret>`, role admin or auditor).',
    })
    .build();
  // a route without an explicit operationId still gets a stable, generator-friendly one
  const doc = SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method });
  return withOperationalRoutes(doc);
}

/** /health and /metrics come from @mfa/observability (shared by the three services): described here. */
function withOperationalRoutes(doc: OpenAPIObject): OpenAPIObject {
  const health = doc.paths['/health']?.get;
  if (health) {
    const body = (status: string, down: boolean) => ({
      type: 'object',
      required: ['status', 'checks'],
      properties: {
        status: { type: 'string', enum: ['ok', 'unavailable'] },
        checks: {
          type: 'object',
          required: ['postgres', 'redis'],
          properties: { postgres: { type: 'string', enum: ['up', 'down'] }, redis: { type: 'string', enum: ['up', 'down'] } },
        },
      },
      example: { status, checks: { postgres: down ? 'down' : 'up', redis: 'up' } },
    });
    Object.assign(health, {
      operationId: 'getHealth',
      summary: 'Liveness: 200 when Postgres and Redis answer, 503 otherwise (no key needed)',
      tags: ['operations'],
      security: [],
      responses: {
        200: { description: 'Postgres and Redis answer', content: { 'application/json': { schema: body('ok', false) } } },
        503: { description: 'Postgres or Redis does not answer', content: { 'application/json': { schema: body('unavailable', true) } } },
      },
    });
  }
  const live = doc.paths['/health/live']?.get;
  if (live) {
    Object.assign(live, {
      operationId: 'getHealthLive',
      summary: 'Liveness probe: 200 while the process runs (no key needed; docs/operations.md)',
      tags: ['operations'],
      security: [],
      responses: {
        200: {
          description: 'The process runs',
          content: {
            'application/json': {
              schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
            },
          },
        },
      },
    });
  }
  const ready = doc.paths['/health/ready']?.get;
  if (ready) {
    const checks = { type: 'object', required: ['postgres', 'redis'], additionalProperties: { type: 'string', enum: ['up', 'down'] } };
    const body = (status: string[]) => ({
      type: 'object',
      required: ['status', 'checks'],
      properties: { status: { type: 'string', enum: status }, checks },
    });
    Object.assign(ready, {
      operationId: 'getHealthReady',
      summary:
        'Readiness probe: 200 when Postgres, Redis and the bus consumer (if any) are up and the instance is not draining (no key needed; docs/operations.md)',
      tags: ['operations'],
      security: [],
      responses: {
        200: { description: 'Ready for work', content: { 'application/json': { schema: body(['ok']) } } },
        503: {
          description: 'A dependency is down, or the instance is draining after SIGTERM',
          content: { 'application/json': { schema: body(['unavailable', 'draining']) } },
        },
      },
    });
  }
  const metrics = doc.paths['/metrics']?.get;
  if (metrics) {
    Object.assign(metrics, {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (no key needed)',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    });
  }
  return doc;
}
