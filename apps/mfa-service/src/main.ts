import { bootstrapService } from '@mfa/observability';
import { mfaServiceApp } from './mfa-service.app';

void bootstrapService(mfaServiceApp);
