import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { trimmed } from '@mfa/contracts';

export class CreateOrgDto {
  @ApiProperty({ example: 'Acme Corp', minLength: 1, maxLength: 200 })
  @Transform(trimmed)
  @IsString()
  @Length(1, 200)
  name: string;
}

export class OrgParamsDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  orgId: string;
}
