import { bootstrapService } from '@mfa/observability';
import { accountServiceApp } from './account-service.app';

void bootstrapService(accountServiceApp);
