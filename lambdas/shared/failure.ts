/**
 * Turn what Step Functions caught (`{ Error, Cause }`) into a sentence.
 * A Lambda's Cause is the JSON `{ errorType, errorMessage, trace }`; other
 * causes (States.Timeout...) are plain text.
 */
import type { CaughtError } from './deployment.ts';

export function describeFailure(failure: CaughtError | undefined): string {
  if (failure === undefined) return 'unknown failure';
  const cause = failure.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      const message = (parsed as { errorMessage: unknown }).errorMessage;
      if (typeof message === 'string' && message !== '') return `${failure.Error}: ${message}`;
    }
  } catch {
    // not JSON: use the text as it is
  }
  return cause === '' ? failure.Error : `${failure.Error}: ${cause}`;
}
