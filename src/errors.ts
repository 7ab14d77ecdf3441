// Errors a user can fix (bad config, missing secret, lock held, …). The CLI prints their message
// without a stack trace and exits 1; anything else is a bug and keeps its stack.
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
