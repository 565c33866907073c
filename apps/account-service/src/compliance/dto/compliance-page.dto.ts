import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

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
