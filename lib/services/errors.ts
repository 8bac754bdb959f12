// Expected failures. Their messages are written for the person who caused them and are safe to show.

import type { AuditEntry } from "./audit/record";

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    /** A refusal worth an audit row of its own (written after the transaction rolls back). */
    readonly audit?: AuditEntry,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends ServiceError {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message, 400, "invalid_input");
  }
}

export class UnauthenticatedError extends ServiceError {
  constructor(message = "Please sign in to continue.") {
    super(message, 401, "unauthenticated");
  }
}

export class ForbiddenError extends ServiceError {
  constructor(message = "Your role does not allow this.", audit?: AuditEntry) {
    super(message, 403, "forbidden", audit);
  }
}

export class NotFoundError extends ServiceError {
  constructor(message = "Not found.") {
    super(message, 404, "not_found");
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string, audit?: AuditEntry) {
    super(message, 409, "conflict", audit);
  }
}

/** The request was understood but its content fails a check (e.g. a package whose signature does not verify). */
export class UnprocessableError extends ServiceError {
  constructor(message: string) {
    super(message, 422, "unprocessable");
  }
}

export class TooManyRequestsError extends ServiceError {
  constructor(message: string) {
    super(message, 429, "rate_limited");
  }
}
