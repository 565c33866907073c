import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { ApiKeyService } from '../api-keys/api-key.service';
import { ACCESS_KEY } from './access.decorator';
import { principalOfHeader } from './bearer';
import type { Access, AuthenticatedRequest, Principal } from './principal';

interface GuardedRequest extends AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string | undefined>;
}

/**
 * Bearer key -> Principal, then the route's Access. Order matters: an org key probing another
 * org gets `not_found` before any role check, so it cannot learn that the org exists.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<GuardedRequest>();
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    // the body gate (http/request-body.ts) already looked the key up before reading the body
    const principal = req.principal ?? (await principalOfHeader(this.apiKeys, req.headers.authorization));
    req.principal = principal;
    // fail closed: a guarded route that forgot to say who may call it serves no one
    if (!access) throw new AppError(ErrorCodes.Forbidden, 'this route is not open to any key');
    authorize(principal, access, req.params.orgId, req.method);
    return true;
  }
}

/** The role rules of docs/admin-api.md ("Who may call what"), apart from the I/O so they are unit-testable. */
export function authorize(principal: Principal, access: Access, orgId: string | undefined, method: string): void {
  if (access === 'platform') {
    if (principal.kind !== 'platform') throw new AppError(ErrorCodes.Forbidden, 'only the platform key may do this');
    return;
  }
  // the platform key creates orgs; it does not act inside one
  if (principal.kind !== 'api_key') throw new AppError(ErrorCodes.Forbidden, 'use an org API key for org resources');
  if (orgId === undefined || orgId !== principal.orgId) throw AppError.notFound('organization');
  const write = access === 'org-admin' || (method !== 'GET' && access !== 'org-query');
  if (write && principal.role !== 'admin') throw new AppError(ErrorCodes.Forbidden, `an ${principal.role} key may not do this`);
}
