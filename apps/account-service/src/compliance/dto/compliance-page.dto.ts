import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { PolicyPreviewRequest, PreviewPolicyBody } from '@mfa/contracts';

/** accounts.internal.compliance.page */
export class CompliancePageDto {
  @IsUUID()
  orgId: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit: number;
}

/** accounts.internal.compliance.history */
export class ComplianceHistoryDto {
  @IsUUID()
  orgId: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days: number;
}

/** The policy body fields accounts.internal.policy.preview evaluates. */
export class PreviewPolicyBodyDto implements PreviewPolicyBody {
  @IsBoolean()
  requireMfa: boolean;

  @IsInt()
  @Min(0)
  @Max(8760)
  gracePeriodHours: number;

  @IsOptional()
  @IsBoolean()
  secureMethodsOnly?: boolean;
}

/** accounts.internal.policy.preview */
export class PolicyPreviewDto implements PolicyPreviewRequest {
  @IsUUID()
  orgId: string;

  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => PreviewPolicyBodyDto)
  policy: PreviewPolicyBodyDto;

  @IsOptional()
  @IsUUID()
  groupId?: string;
}
