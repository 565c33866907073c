import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { type ServiceKeyScope, ServiceKeyScopes, trimmed } from '@mfa/contracts';
import { OrgParamsDto } from '../orgs/dto/create-org.dto';

export class CreateServiceKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'billing-app' })
  @Transform(trimmed)
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiPropertyOptional({ enum: ServiceKeyScopes, isArray: true, description: 'default: all scopes' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(ServiceKeyScopes, { each: true })
  scopes?: ServiceKeyScope[];
}

export class ServiceKeyParamsDto extends OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  keyId: string;
}
