import { Length, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

const NAME_RULES = [Length(1, 200), Matches(/^\S(.*\S)?$/, { message: '$property must not start or end with white space' })];
const name = (): PropertyDecorator => (target, key) => NAME_RULES.forEach((rule) => rule(target, key));

@InputType({ description: 'Input of createTenant' })
export class CreateTenantInput {
  @Field({ description: 'Display name of the new tenant; unique' })
  @name()
  name: string;
}

@InputType({ description: 'Input of renameTenant' })
export class RenameTenantInput {
  @Field(() => ID, { description: 'Id of the tenant to rename' })
  id: string;

  @Field({ description: 'New display name; unique' })
  @name()
  name: string;
}

@InputType({ description: 'Input of createSite' })
export class CreateSiteInput {
  @Field(() => ID, { description: 'Id of the tenant the site belongs to' })
  tenantId: string;

  @Field({ description: 'Display name of the new site; unique within the tenant' })
  @name()
  name: string;
}

@InputType({ description: 'Input of renameSite' })
export class RenameSiteInput {
  @Field(() => ID, { description: 'Id of the site to rename' })
  id: string;

  @Field({ description: 'New display name; unique within the tenant' })
  @name()
  name: string;
}
