import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '@mfa/contracts';
import type { ApiKeyService } from '../api-keys/api-key.service';
import { ApiKeyGuard, authorize } from './api-key.guard';
import type { Access, Principal } from './principal';

const ORG = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const admin: Principal = { kind: 'api_key', keyId: 'k1', orgId: ORG, role: 'admin' };
const auditor: Principal = { kind: 'api_key', keyId: 'k2', orgId: ORG, role: 'auditor' };
const platform: Principal = { kind: 'platform' };

function codeOf(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as AppError).code;
  }
}

describe(authorize.name, () => {
  it.each<[string, Principal, Access, string | undefined, string, string]>([
    ['platform creates orgs', platform, 'platform', undefined, 'POST', 'ok'],
    ['an org key may not create orgs', admin, 'platform', undefined, 'POST', 'forbidden'],
    ['the platform key does not act inside an org', platform, 'org-read', ORG, 'GET', 'forbidden'],
    ['an admin reads its org', admin, 'org-read', ORG, 'GET', 'ok'],
    ['an admin writes its org', admin, 'org-admin', ORG, 'POST', 'ok'],
    ['an auditor reads its org', auditor, 'org-read', ORG, 'GET', 'ok'],
    ['an auditor may not write', auditor, 'org-admin', ORG, 'DELETE', 'forbidden'],
    ['a non-GET is a write even when marked read', auditor, 'org-read', ORG, 'POST', 'forbidden'],
    ['an auditor may POST a query that changes nothing', auditor, 'org-query', ORG, 'POST', 'ok'],
    ['an admin may POST a query', admin, 'org-query', ORG, 'POST', 'ok'],
    ['a query on another org is not_found', auditor, 'org-query', OTHER, 'POST', 'not_found'],
    ['the platform key may not query an org', platform, 'org-query', ORG, 'POST', 'forbidden'],
    ['another org is not_found for an admin', admin, 'org-admin', OTHER, 'POST', 'not_found'],
    ['another org is not_found (not forbidden) for an auditor writing', auditor, 'org-admin', OTHER, 'DELETE', 'not_found'],
    ['a route without orgId is not_found for an org key', admin, 'org-read', undefined, 'GET', 'not_found'],
  ])('%s', (_name, principal, access, orgId, method, expected) => {
    expect(codeOf(() => authorize(principal, access, orgId, method))).toBe(expected);
  });
});

describe(ApiKeyGuard.name, () => {
  const context = (headers: Record<string, string>, access: Access | undefined, params = { orgId: ORG }, method = 'GET') => {
    const req = { headers, params, method } as Record<string, unknown>;
    const handler = () => undefined;
    if (access) Reflect.defineMetadata('mfa:access', access, handler);
    return {
      req,
      ctx: {
        switchToHttp: () => ({ getRequest: () => req }),
        getHandler: () => handler,
        getClass: () => class {},
      } as unknown as ExecutionContext,
    };
  };
  const apiKeys = { authenticate: jest.fn() };
  const sut = new ApiKeyGuard(new Reflector(), apiKeys as unknown as ApiKeyService);

  beforeEach(() => apiKeys.authenticate.mockReset());

  it('is unauthenticated without a bearer key, never asking the key store', async () => {
    const { ctx } = context({}, 'org-read');
    await expect(sut.canActivate(ctx)).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(apiKeys.authenticate).not.toHaveBeenCalled();
  });

  it('is unauthenticated for an unknown or revoked key', async () => {
    apiKeys.authenticate.mockResolvedValue(null);
    await expect(sut.canActivate(context({ authorization: 'Bearer mfak_x' }, 'org-read').ctx)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('attaches the principal and lets an allowed call through', async () => {
    apiKeys.authenticate.mockResolvedValue(admin);
    const { ctx, req } = context({ authorization: 'Bearer good' }, 'org-admin', { orgId: ORG }, 'POST');
    await expect(sut.canActivate(ctx)).resolves.toBe(true);
    expect(req.principal).toEqual(admin);
    expect(apiKeys.authenticate).toHaveBeenCalledWith('good');
  });

  it('fails closed on a route that declares no access', async () => {
    apiKeys.authenticate.mockResolvedValue(admin);
    await expect(sut.canActivate(context({ authorization: 'Bearer good' }, undefined).ctx)).rejects.toBeInstanceOf(AppError);
  });
});
