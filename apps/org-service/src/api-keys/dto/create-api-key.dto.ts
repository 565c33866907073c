import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { type ApiKeyRole, ApiKeyRoles, trimmed } from '@mfa/contracts';
import { OrgParamsDto } from '../../orgs/dto/create-org.dto';

export class CreateApiKeyDto {
  @ApiProperty({ enum: ApiKeyRoles })
  @IsIn(ApiKeyRoles)
  role: ApiKeyRole;

  @ApiPropertyOptional({ maxLength: 200, example: 'CI deploy key' })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(200)
  label?: string;
}

export class ApiKeyParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  keyId: string;
}
