/** Failure and stop at every state of the blue-green state machine, rehearsed: everything ends as it was, and says why. */
import { stateMatrix } from './state-matrix.ts';

stateMatrix({ strategy: 'blue-green', service: 'payments', repository: 'payments', lateFailure: 'CheckOldScaleDown' });
