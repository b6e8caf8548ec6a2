/** Failure and stop at every state of the canary state machine, rehearsed: everything ends as it was, and says why. */
import { stateMatrix } from './state-matrix.ts';

stateMatrix({ strategy: 'canary', service: 'checkout', repository: 'checkout', lateFailure: 'TrafficToPrimary' });
