/**
 * Where images come from, rehearsed: a service that names another ECR
 * registry (`registry: { accountId, region }`) deploys pushes to that
 * registry, resolved there, and nothing else; a start by hand of a tag outside `tagPattern` deploys
 * and is recorded as such.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { Rehearsal } from '../../simulator/rehearsal.ts';
import { image, rehearsalConfig } from '../support/rehearsal-config.ts';
import { tableState } from '../support/state-matrix.ts';

const SHARED = { accountId: '111122223333', region: 'eu-west-1' };
const SHARED_REGISTRY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';

/** The rehearsal config, with web's images in the shared registry. */
function sharedRegistryConfig(): DeployerConfig {
  return rehearsalConfig({ web: [`registry: { accountId: "${SHARED.accountId}", region: ${SHARED.region} }`] });
}

describe('image registries, rehearsed', () => {
  let session: Rehearsal | undefined;
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  it('deploys a push to the registry the service names, resolving the image there', async () => {
    // Prepare
    session = await Rehearsal.create({ config: sharedRegistryConfig() });

    // Act
    await session.push('web', 'v1.1.0', { registry: SHARED });
    const [record] = await session.settle();

    // Assess
    expect(record?.status).toBe('SUCCEEDED');
    expect(session.snapshot().services['prod/web']?.image).toMatch(new RegExp(`^${SHARED_REGISTRY.replaceAll('.', '\\.')}/web@sha256:`));
    // The repository ARN the call is authorized on: the one the stack's policy names for web (template-policies.test.ts).
    const lookups = session.world.calls.filter((c) => c.action === 'ecr:DescribeImages');
    expect(lookups.map((c) => c.resources)).toEqual([['arn:aws:ecr:eu-west-1:111122223333:repository/web']]);
  });

  it('starts nothing for a push of the same repository name to the deployer’s own registry', async () => {
    // Prepare
    session = await Rehearsal.create({ config: sharedRegistryConfig() });
    // Another team's `web` in the deployer's account.
    session.world.ecr.createRepository('web');
    const before = session.snapshot();

    // Act
    const result = await session.push('web', 'v1.1.0');
    await session.settle();

    // Assess
    expect(session.executions).toEqual([]);
    expect(result).toMatchObject({ started: [], ignored: [{ service: 'web', reason: expect.stringContaining("not the one web's config names") }] });
    expect(session.snapshot()).toEqual(before);
  });

  it('rejects a console start of an image from another account before anything changes', async () => {
    // Prepare
    session = await Rehearsal.create({ config: rehearsalConfig() });
    const before = session.snapshot();

    // Act
    const record = await session.deploy({ service: 'web', image: `${SHARED_REGISTRY}/web:v1.1.0` }).done;

    // Assess
    expect(record.visits.map((v) => v.name)).toEqual(['Restore?', 'ValidateInput', 'InputRejected']);
    expect(record.error?.cause).toContain('registry: { accountId: \\"111122223333\\", region: eu-west-1 }');
    expect(session.world.calls.filter((c) => c.action.startsWith('ecr:'))).toEqual([]);
    expect(session.snapshot()).toEqual(before);
  });

  it('deploys a tag outside tagPattern started by hand, and records it as outside the pattern', async () => {
    // Prepare: web deploys "v*" on push.
    session = await Rehearsal.create({ config: rehearsalConfig() });

    // Act
    const record = await session.deploy({ service: 'web', image: image('web', 'hotfix-42'), startedBy: 'alice' }).done;
    const { history } = await tableState('web');

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    expect(history).toEqual([expect.objectContaining({ status: 'SUCCEEDED', imageTag: 'hotfix-42', outsideTagPattern: true, startedBy: 'alice' })]);
  });
});
