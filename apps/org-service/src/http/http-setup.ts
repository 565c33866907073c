import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HttpErrorFilter } from './http-error.filter';
import { httpValidationPipe } from './validation-errors';

/** The admin API's HTTP conventions: validated DTOs, one error shape, OpenAPI at /docs. */
export function configureAdminHttp(app: NestExpressApplication): void {
  app.useGlobalPipes(httpValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  const config = new DocumentBuilder()
    .setTitle('MFA enforcement: admin API')
    .setDescription('Organizations, API keys, members and org-wide MFA policy. Errors: `{statusCode, code, message, details?}`.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'the platform key or an org API key' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}
