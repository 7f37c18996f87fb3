import { Field, ID, InputType } from 'type-graphql';
import { DisplayName } from './display-name';

@InputType({ description: 'Input of createTenant' })
export class CreateTenantInput {
  @Field({ description: 'Display name of the new tenant, trimmed; unique, compared ignoring case, accents and compatibility forms (fullwidth letters). Control, format (bidi) and invisible characters, and Latin letters mixed with Cyrillic or Greek, are refused' })
  @DisplayName()
  name: string;
}

@InputType({ description: 'Input of renameTenant' })
export class RenameTenantInput {
  @Field(() => ID, { description: 'Id of the tenant to rename' })
  id: string;

  @Field({ description: 'New display name, with the rules of CreateTenantInput.name' })
  @DisplayName()
  name: string;
}

@InputType({ description: 'Input of createSite' })
export class CreateSiteInput {
  @Field(() => ID, { description: 'Id of the tenant the site belongs to' })
  tenantId: string;

  @Field({ description: 'Display name of the new site, with the rules of CreateTenantInput.name; unique within the tenant' })
  @DisplayName()
  name: string;
}

@InputType({ description: 'Input of renameSite' })
export class RenameSiteInput {
  @Field(() => ID, { description: 'Id of the site to rename' })
  id: string;

  @Field({ description: 'New display name, with the rules of CreateSiteInput.name' })
  @DisplayName()
  name: string;
}
