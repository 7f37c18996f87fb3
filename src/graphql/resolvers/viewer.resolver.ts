import { Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { Role } from '../../entities/enums';
import { RequestContext } from '../context';

@ObjectType({ description: 'The principal making the request' })
export class Viewer {
  @Field({ description: 'Name of the API key' })
  name: string;

  @Field(() => Role, { description: 'Role of the principal' })
  role: Role;

  @Field({ description: 'Indicates the principal sees every tenant, including ones created later' })
  allTenants: boolean;
}

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who the caller is, as the server sees it' })
  viewer(@Ctx() { principal }: RequestContext): Viewer {
    return Object.assign(new Viewer(), { name: principal.name, role: principal.role, allTenants: principal.scope.all });
  }
}
