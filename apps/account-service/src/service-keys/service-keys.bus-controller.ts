import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusValidationPipe } from '@mfa/bus';
import { InternalPatterns, OrgRefDto } from '@mfa/contracts';
import { CreateServiceKeyDto, ResolveCallersDto, ServiceKeyRefDto } from './service-keys.dto';
import { ServiceKeysService } from './service-keys.service';

/** Service keys, managed by org-service for org admins; resolved by mfa-service's bus gate. */
@Controller()
export class ServiceKeysBusController {
  constructor(private readonly keys: ServiceKeysService) {}

  @MessagePattern(InternalPatterns.AccountsServiceKeysCreate)
  create(@Payload(BusValidationPipe) req: CreateServiceKeyDto) {
    return this.keys.create(req);
  }

  @MessagePattern(InternalPatterns.AccountsServiceKeysList)
  list(@Payload(BusValidationPipe) req: OrgRefDto) {
    return this.keys.list(req.orgId);
  }

  @MessagePattern(InternalPatterns.AccountsServiceKeysRevoke)
  revoke(@Payload(BusValidationPipe) req: ServiceKeyRefDto) {
    return this.keys.revoke(req.orgId, req.keyId);
  }

  @MessagePattern(InternalPatterns.AccountsCallersResolve)
  resolve(@Payload(BusValidationPipe) req: ResolveCallersDto) {
    return this.keys.resolve(req.keyIds, req.accountIds);
  }
}
