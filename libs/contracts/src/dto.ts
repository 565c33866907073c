import { ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { type MfaMethod, MfaMethods } from './enums';
import type { MfaPolicy } from './models';

/**
 * Validation classes for wire shapes that more than one service receives. Each service still
 * validates every payload itself (whoever sent it); these keep the rules in one place.
 */

export class OrgRefDto {
  @IsUUID()
  orgId: string;
}

export class MemberRefDto {
  @IsUUID()
  orgId: string;

  @IsUUID()
  accountId: string;
}

/** An org's policy as org-service hands it over (MfaPolicy). */
export class MfaPolicyDto implements MfaPolicy {
  @IsUUID()
  orgId: string;

  @IsInt()
  @Min(0)
  version: number;

  @IsBoolean()
  requireMfa: boolean;

  @IsInt()
  @Min(0)
  @Max(8760)
  gracePeriodHours: number;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(129_600)
  maxMfaAgeSeconds: number | null;

  @IsOptional()
  @IsISO8601({ strict: true })
  updatedAt: string | null;
}
