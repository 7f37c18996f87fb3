import { AuthCheckerInterface, ResolverData } from 'type-graphql';
import { RequestContext } from '../graphql/context';

/**
 * Role check for @Authorized fields. Tenant visibility is not checked here: it is enforced by the access layer
 * on every query, so a role check can never widen what a principal sees.
 */
export class RoleAuthChecker implements AuthCheckerInterface<RequestContext> {
  check({ context }: ResolverData<RequestContext>, roles: string[]): boolean {
    return roles.length === 0 || roles.includes(context.principal.role);
  }
}
