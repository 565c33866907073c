import { bootstrapService } from '@mfa/observability';
import { webApp } from './web.app';

void bootstrapService(webApp);
