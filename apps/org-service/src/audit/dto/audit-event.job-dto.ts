import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { type AuditAction, type AuditActorType, AuditActions, AuditActorTypes } from '@mfa/contracts';

class AuditActorDto {
  @IsIn(AuditActorTypes as unknown as string[])
  type: AuditActorType;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(200)
  id: string | null;
}

class AuditTargetDto {
  @IsString()
  @MaxLength(100)
  type: string;

  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(200)
  id: string | null;
}

/** An AuditEventJob as it comes off the queue: checked before it is written (STYLE habit 3). */
export class AuditEventJobDto {
  @IsUUID()
  id: string;

  @IsUUID()
  orgId: string;

  @IsISO8601({ strict: true })
  at: string;

  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => AuditActorDto)
  actor: AuditActorDto;

  @IsIn(AuditActions as unknown as string[])
  action: AuditAction;

  @IsObject() // ValidateNested alone lets `[]` through
  @ValidateNested()
  @Type(() => AuditTargetDto)
  target: AuditTargetDto;

  @IsOptional()
  @IsObject()
  details: Record<string, unknown> = {};
}
