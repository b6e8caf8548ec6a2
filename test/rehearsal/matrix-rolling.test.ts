/** Failure and stop at every state of the rolling state machine, rehearsed: everything ends as it was, and says why. */
import { stateMatrix } from './state-matrix.ts';

stateMatrix({ strategy: 'rolling', service: 'web', repository: 'web', lateFailure: 'CheckRollout' });
