/**
 * The release script of this checkout, `vm/release.sh`: what `cdk deploy`
 * puts beside StartSshBatch's bundle (DEPLOYER_RELEASE_SCRIPT) and uploads for
 * SSM hosts. The rehearsal and the tests run it from here.
 */
import { fileURLToPath } from 'node:url';

export const CHECKOUT_RELEASE_SCRIPT = fileURLToPath(new URL('../../vm/release.sh', import.meta.url));
