import 'aws-sdk-client-mock-vitest/extend';
import { CHECKOUT_RELEASE_SCRIPT } from '../simulator/vm/checkout-release-script.ts';

// The handlers log every step as JSON; keep test output readable. Set before
// any test file imports a handler (the logger reads it once, when created).
// A test about logging sets its own level in `vi.hoisted`, which runs after this.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// Deployment metrics are EMF lines on stdout; a test about them turns them back on.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// Where StartSshBatch finds the release script (beside its bundle in AWS): the checkout's.
process.env.DEPLOYER_RELEASE_SCRIPT = CHECKOUT_RELEASE_SCRIPT;
