import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Access, AuthenticatedRequest, Principal } from './principal';

export const ACCESS_KEY = 'mfa:access';

/** Every route behind ApiKeyGuard declares who may call it; a route without it is refused. */
export const RequireAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);

/** The caller, as ApiKeyGuard established it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
});
