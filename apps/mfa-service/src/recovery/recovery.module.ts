import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { LimitsModule } from '../limits/limits.module';
import { TokensModule } from '../tokens/tokens.module';
import { RecoveryCodeRepository } from './recovery-code.repository';
import { RecoveryCodesController } from './recovery-codes.controller';
import { RecoveryCodesService } from './recovery-codes.service';

/** Recovery codes: generated in sets, single use, tried by verification/ when no device method can check a code. */
@Module({
  imports: [AccountsModule, LimitsModule, TokensModule],
  controllers: [RecoveryCodesController],
  providers: [RecoveryCodeRepository, RecoveryCodesService],
  exports: [RecoveryCodesService],
})
export class RecoveryModule {}
