import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe, RedisStreamsContext } from '@mfa/bus';
import { Patterns } from '@mfa/contracts';
import { DiagnoseDto } from './diagnose.dto';
import { DiagnoseService } from './diagnose.service';

@Controller()
export class DiagnoseController {
  constructor(private readonly diagnosis: DiagnoseService) {}

  @MessagePattern(Patterns.MfaDevicesDiagnose)
  diagnose(@Payload(BusValidationPipe) dto: DiagnoseDto, @Ctx() ctx: RedisStreamsContext) {
    return this.diagnosis.diagnose(ctx.getCaller(), dto);
  }
}
