// The ways a directory login fails that the caller must tell apart: the directory cannot be
// reached in time (503, try again), and a user whose password is right but whom no group lets in
// (403, with the reason they can act on). A wrong password is not an error: the provider answers
// null, exactly as the local one does.

import { ExitCode, UserError, type ExitCodeValue, type ShopdbErrorOptions } from '../../errors.js';
import type { ServerAttempt } from './client.js';

export class DirectoryUnavailableError extends UserError {
  override readonly code: string = 'DIRECTORY_UNAVAILABLE';
  override readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly httpStatus = 503;

  constructor(
    message: string,
    options: ShopdbErrorOptions = {},
    /** What each server did, for the server log (never sent to the client). */
    readonly attempts: readonly ServerAttempt[] = [],
  ) {
    super(message, options);
  }
}

export class DirectoryAccessDeniedError extends UserError {
  override readonly code: string = 'DIRECTORY_ACCESS_DENIED';
  override readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly httpStatus = 403;
}
