import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsConditionList, type MfaCondition, MfaMethods, type MfaMethod } from '@mfa/contracts';
import { Condition } from '../../http/api-models';
import { MemberParamsDto } from '../../members/dto/member.dto';
import { OrgParamsDto } from '../../orgs/dto/create-org.dto';

/** `PUT /v1/orgs/:orgId/mfa-policy` (docs/admin-api.md, "Routes"). */
export class PutPolicyDto {
  @ApiProperty()
  @IsBoolean()
  requireMfa: boolean;

  @ApiProperty({ minimum: 0, maximum: 8760, description: 'hours a member has, from when MFA became required (or they joined), to enroll' })
  @IsInt()
  @Min(0)
  @Max(8760)
  gracePeriodHours: number;

  @ApiProperty({ enum: MfaMethods, isArray: true, minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(MfaMethods, { each: true })
  allowedMethods: MfaMethod[];

  @ApiPropertyOptional({
    minimum: 60,
    maximum: 129_600,
    description: 'accounts.authorize asks compliant members for an MFA session at most this old',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(129_600)
  maxMfaAgeSeconds?: number | null;

  @ApiPropertyOptional({ default: false, description: 'SMS devices neither count toward compliance nor may be enrolled' })
  @IsOptional()
  @IsBoolean()
  secureMethodsOnly?: boolean;

  @ApiPropertyOptional({
    type: Condition,
    isArray: true,
    maxItems: 20,
    default: [],
    description:
      "per-action conditions: accounts.authorize with an action one matches asks for an MFA session at most maxMfaAgeSeconds old, whatever the member's state (docs/enforcement.md)",
  })
  @IsOptional()
  @IsConditionList()
  conditions?: MfaCondition[];
}

/** `POST /v1/orgs/:orgId/mfa-policy/preview`: the PUT's body, and the group it would be for. */
export class PreviewPolicyDto extends PutPolicyDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "preview this group's policy: only its members are counted, with the body in place of the group's policy (their org's and other groups' policies still apply)",
  })
  @IsOptional()
  @IsUUID()
  groupId?: string;
}

/** `PUT .../members/:accountId/exemption`. */
export class SetExemptionDto {
  @ApiProperty({ format: 'date-time', description: 'must be in the future' })
  @IsISO8601({ strict: true })
  until: string;

  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class RolloutParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  rolloutId: string;
}

export class DeviceParamsDto extends MemberParamsDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9._:-]+$' })
  @Matches(/^[A-Za-z0-9._:-]{1,200}$/)
  serialNumber: string;
}
