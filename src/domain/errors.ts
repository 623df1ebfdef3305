/**
 * Errors the services mean to show to the caller. They know nothing of GraphQL: the schema layer
 * maps `code` and `extensions` onto a GraphQL error, and masks everything that is not one of these.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly extensions: Record<string, unknown> = {};
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class BadUserInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(message: string, field?: string) {
    super(message);
    if (field) this.extensions.field = field;
  }
}

export class InvalidTransitionError extends DomainError {
  readonly code = 'INVALID_TRANSITION';
  constructor(from: string, to: string) {
    super(`Cannot move from ${from} to ${to}`);
    Object.assign(this.extensions, { from, to });
  }
}

export class VersionConflictError extends DomainError {
  readonly code = 'VERSION_CONFLICT';
  constructor(currentVersion: number) {
    super(`The order has changed: its version is now ${currentVersion}`);
    this.extensions.currentVersion = currentVersion;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'A valid bearer token is required') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'Your role may not do this') {
    super(message);
  }
}
