import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { ComplianceReportController } from './compliance-report.controller';
import { ComplianceReportService } from './compliance-report.service';

/** The compliance report routes; the data comes over the bus (BusModule is global). */
@Module({
  imports: [ApiKeysModule],
  controllers: [ComplianceReportController],
  providers: [ComplianceReportService],
})
export class ComplianceModule {}
