import { Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { permissionsOf } from '../../auth/permissions';
import { Role } from '../../entities/enums';
import { RequestContext } from '../context';

@ObjectType({ description: 'The principal making the request' })
export class Viewer {
  @Field({ description: 'Name of the API key, or of the user or application an OIDC token was issued to' })
  name: string;

  @Field({ description: 'How the principal signed in: "api-key" or "oidc"' })
  kind: string;

  @Field(() => Role, { description: 'Role of the principal' })
  role: Role;

  @Field({ description: 'Indicates the principal sees every tenant, including ones created later' })
  allTenants: boolean;

  @Field(() => [String], {
    description: 'The operations and guarded fields of the permission matrix this principal may use, as schema coordinates (e.g. "Mutation.triggerSync"); a portal shows or hides actions by it',
  })
  permissions: string[];
}

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who the caller is, as the server sees it' })
  viewer(@Ctx() { principal }: RequestContext): Viewer {
    return Object.assign(new Viewer(), {
      name: principal.name, kind: principal.kind, role: principal.role, allTenants: principal.scope.all,
      permissions: permissionsOf(principal.role).filter((c) => !c.includes(' ')),
    });
  }
}
