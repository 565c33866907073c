import { bootstrapService } from '@mfa/observability';
import { orgServiceApp } from './org-service.app';

void bootstrapService(orgServiceApp);
