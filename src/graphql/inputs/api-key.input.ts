import { Field, ID, InputType } from 'type-graphql';
import { Role } from '../../entities/enums';
import { DisplayName } from './display-name';

@InputType({ description: 'Input of createApiKey: give tenantIds, or allTenants: true' })
export class CreateApiKeyInput {
  @Field({ description: 'Name of the key, e.g. the portal or script that will use it; display-name rules as CreateTenantInput.name, not unique' })
  @DisplayName()
  name: string;

  @Field(() => Role, { description: 'Role of the key' })
  role: Role;

  @Field(() => [ID], { nullable: true, description: 'Ids of the tenants the key may see, all within the caller\'s own' })
  tenantIds?: string[] | null;

  @Field({ nullable: true, defaultValue: false, description: 'The key sees every tenant, including ones created later; only a caller that sees every tenant may set it' })
  allTenants: boolean;

  @Field(() => Date, { nullable: true, description: 'When the key stops working (must be in the future); omit for a key that does not expire' })
  expiresAt?: Date | null;
}
