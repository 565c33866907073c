import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, IsUUID, Length } from 'class-validator';
import { OrgRefDto, type ServiceKeyScope, ServiceKeyScopes, trimmed } from '@mfa/contracts';

export class CreateServiceKeyDto extends OrgRefDto {
  @Transform(trimmed)
  @IsString()
  @Length(1, 100)
  name: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(ServiceKeyScopes, { each: true })
  scopes: ServiceKeyScope[];
}

export class ServiceKeyRefDto extends OrgRefDto {
  @IsUUID()
  keyId: string;
}

/** A gate resolves one read batch at a time: at most a batch's worth of each. */
export class ResolveCallersDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  keyIds: string[];

  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  accountIds: string[];
}
