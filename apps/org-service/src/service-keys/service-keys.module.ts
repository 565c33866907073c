import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { ServiceKeysController } from './service-keys.controller';
import { ServiceKeysService } from './service-keys.service';

@Module({
  imports: [ApiKeysModule],
  controllers: [ServiceKeysController],
  providers: [ServiceKeysService],
})
export class ServiceKeysModule {}
