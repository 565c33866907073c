import { Global, Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditController } from './audit.controller';
import { AuditEventRepository } from './audit-event.repository';
import { AuditEventsProcessor } from './audit-events.processor';
import { AuditService } from './audit.service';

/**
 * The audit log: AuditService for org-service's own admin actions, the queue worker, the read
 * API. Global so the modules whose actions are audited (api keys, orgs, members, policy) get
 * AuditService without importing this module back (it imports ApiKeysModule for the guard).
 */
@Global()
@Module({
  imports: [ApiKeysModule],
  controllers: [AuditController],
  providers: [AuditEventRepository, AuditService, AuditEventsProcessor],
  exports: [AuditService],
})
export class AuditModule {}
