/**
 * Errors a user can act on. Each carries the GraphQL `extensions.code` it is reported under; graphql/errors.ts
 * turns them into GraphQL errors, and the CLI prints their message. Anything else is a fault and is masked.
 */
export abstract class PatchgraphError extends Error {
  constructor(message: string) {
    super(message);
    // Each subclass's name is its class name; set once here instead of in every constructor.
    this.name = new.target.name;
  }

  abstract readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT';
  /** Extra fields for `extensions`, e.g. the offending argument. */
  extensions(): Record<string, unknown> {
    return {};
  }
}

/** Input that cannot be accepted; `field` names the argument or input field, e.g. "first" or "input.name". */
export class UserInputError extends PatchgraphError {
  readonly code = 'BAD_USER_INPUT';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
  extensions() {
    return { field: this.field };
  }
}

export class NotFoundError extends PatchgraphError {
  readonly code = 'NOT_FOUND';
  constructor(readonly what: string, readonly id: string) {
    super(`${what} "${id}" was not found`);
  }
}

export class ForbiddenError extends PatchgraphError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You are not allowed to do this') {
    super(message);
  }
}

export class UnauthenticatedError extends PatchgraphError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'Send an API key as "Authorization: Bearer <key>"') {
    super(message);
  }
}

/** The request conflicts with data that exists, e.g. a duplicate name. */
export class ConflictError extends PatchgraphError {
  readonly code = 'CONFLICT';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
  extensions() {
    return { field: this.field };
  }
}

/**
 * A change request may not make this transition: the state does not allow it, or a guard refuses it (self-approval,
 * outside every maintenance window, no review). Names the state and the rule, so the caller knows what to fix.
 * It is a conflict with the record's state (HTTP 409 where a status is given); GraphQL reports it under its own,
 * more precise code, which its extensions set over the class's (graphql/errors.ts spreads them after `code`).
 */
export class ChangeTransitionRefused extends PatchgraphError {
  readonly code = 'CONFLICT';
  constructor(readonly transition: string, readonly state: string, readonly rule: string, message: string) {
    super(`${transition} refused in state ${state}: ${message}`);
  }
  extensions() {
    return { code: 'CHANGE_TRANSITION_REFUSED', transition: this.transition, state: this.state, rule: this.rule };
  }
}
