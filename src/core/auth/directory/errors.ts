// The ways a directory login fails that the caller must tell apart: the directory cannot be
// reached in time (503, try again), and a user whose password is right but whom no group lets in
// (403, with the reason they can act on). A wrong password is not an error: the provider answers
// null, exactly as the local one does.

import { ExitCode, UserError, type ExitCodeValue } from '../../errors.js';

export class DirectoryUnavailableError extends UserError {
  override readonly code: string = 'DIRECTORY_UNAVAILABLE';
  override readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly httpStatus = 503;
}

export class DirectoryAccessDeniedError extends UserError {
  override readonly code: string = 'DIRECTORY_ACCESS_DENIED';
  override readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly httpStatus = 403;
}
