import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, REGISTRY, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const ecr = new ECRClient({ region: 'us-east-1' });
const digestOf = (repository: string, tag: string): string =>
  `sha256:${createHash('sha256').update(`${repository}:${tag}`).digest('hex')}`;

describe('simulated ECR', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('resolves any tag of a configured repository to a deterministic digest, as if pushed', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const { imageDetails } = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v2.0.0' }] }),
    );
    const byDigest = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageDigest: digestOf('web', 'v2.0.0') }] }),
    );

    // Assess
    expect(imageDetails).toEqual([
      expect.objectContaining({
        registryId: '123456789012',
        repositoryName: 'web',
        imageDigest: digestOf('web', 'v2.0.0'),
        imageTags: ['v2.0.0'],
      }),
    ]);
    expect(byDigest.imageDetails?.[0]?.imageTags).toEqual(['v2.0.0']);
    expect(installed.world.ecr.digestOf('web', 'v2.0.0')).toBe(digestOf('web', 'v2.0.0'));
  });

  it('accepts a never-tagged digest as an untagged image unless it was forgotten', async () => {
    // Prepare
    installed = installWorld();
    const untagged = `sha256:${'ab'.repeat(32)}`;
    const gone = `sha256:${'cd'.repeat(32)}`;
    installed.world.ecr.forgetImage(`${REGISTRY}/web@${gone}`);

    // Act
    const found = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageDigest: untagged }] }));
    const missing = await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageDigest: gone }] })),
    );
    const batch = await ecr.send(
      new BatchGetImageCommand({ repositoryName: 'web', imageIds: [{ imageDigest: untagged }, { imageDigest: gone }] }),
    );

    // Assess
    expect(found.imageDetails?.[0]).toMatchObject({ imageDigest: untagged });
    expect(found.imageDetails?.[0]?.imageTags).toBeUndefined();
    expect(missing).toBeInstanceOf(ImageNotFoundException);
    expect(batch.images?.map((i) => i.imageId?.imageDigest)).toEqual([untagged]);
    expect(batch.failures).toEqual([
      { imageId: { imageDigest: gone }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    ]);
  });

  it('refuses tags starting with "missing" and unknown repositories like ECR does', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const missingTag = await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'missing-v9' }] })),
    );
    const noRepository = await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'nope', imageIds: [{ imageTag: 'v1' }] })),
    );
    const otherRegistry = await rejectionOf(
      ecr.send(new DescribeRepositoriesCommand({ registryId: '999999999999', repositoryNames: ['web'] })),
    );

    // Assess
    expect(missingTag).toBeInstanceOf(ImageNotFoundException);
    expect(missingTag.message).toContain("imageTag:'missing-v9'");
    expect(noRepository).toBeInstanceOf(RepositoryNotFoundException);
    expect(otherRegistry).toBeInstanceOf(RepositoryNotFoundException);
  });

  it('moves a tag on push and returns the EventBridge event ECR emits', async () => {
    // Prepare
    installed = installWorld();
    const digest = `sha256:${'ef'.repeat(32)}`;

    // Act
    const event = installed.world.ecr.pushImage('web', 'latest', digest);
    const { imageDetails } = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'latest' }] }),
    );

    // Assess
    expect(event).toMatchObject({
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      account: '123456789012',
      region: 'us-east-1',
      detail: { result: 'SUCCESS', 'action-type': 'PUSH', 'repository-name': 'web', 'image-tag': 'latest', 'image-digest': digest },
    });
    expect(imageDetails?.[0]?.imageDigest).toBe(digest);
  });

  it('holds only what was pushed (and what the services run) once pushed images are required, as ECR does', async () => {
    // Prepare
    installed = installWorld();
    const pushedDigest = `sha256:${'12'.repeat(32)}`;
    const pushed = [
      installed.world.ecr.pushUri(`${REGISTRY}/web:v2.0.0`),
      installed.world.ecr.pushUri(`${REGISTRY}/web@${pushedDigest}`),
      installed.world.ecr.pushUri(`999999999999.dkr.ecr.us-east-1.amazonaws.com/web:v2.0.0`),
      installed.world.ecr.pushUri(`${REGISTRY}/nope:v1`),
    ];
    installed.world.ecr.requirePushedImages();

    // Act
    const tagPushed = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v2.0.0' }] }));
    const digestPushed = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageDigest: pushedDigest }] }));
    const seeded = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v1.0.0' }] }));
    const tagNobodyPushed = await rejectionOf(ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v9.9.9' }] })));
    const digestNobodyPushed = await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageDigest: `sha256:${'34'.repeat(32)}` }] })),
    );

    // Assess
    expect(pushed).toEqual([true, true, false, false]);
    expect(tagPushed.imageDetails?.[0]?.imageDigest).toBe(digestOf('web', 'v2.0.0'));
    expect(digestPushed.imageDetails?.[0]?.imageDigest).toBe(pushedDigest);
    expect(seeded.imageDetails?.[0]?.imageDigest).toBe(digestOf('web', 'v1.0.0'));
    expect(tagNobodyPushed).toBeInstanceOf(ImageNotFoundException);
    expect(tagNobodyPushed.message).toContain("imageTag:'v9.9.9'");
    expect(digestNobodyPushed).toBeInstanceOf(ImageNotFoundException);
  });

  describe('a registry the config names', () => {
    const SHARED = { accountId: '111122223333', region: 'eu-west-1' };

    it('answers a call in that registry’s region with its registryId, and nowhere else', async () => {
      // Prepare
      installed = installWorld();
      installed.world.ecr.createRepository('shared/base', SHARED);
      const there = new ECRClient({ region: 'eu-west-1' });

      // Act
      const found = await there.send(
        new DescribeImagesCommand({ registryId: '111122223333', repositoryName: 'shared/base', imageIds: [{ imageTag: 'v1' }] }),
      );
      const wrongRegion = await rejectionOf(
        ecr.send(new DescribeImagesCommand({ registryId: '111122223333', repositoryName: 'shared/base', imageIds: [{ imageTag: 'v1' }] })),
      );
      const wrongAccount = await rejectionOf(
        there.send(new DescribeImagesCommand({ repositoryName: 'shared/base', imageIds: [{ imageTag: 'v1' }] })),
      );

      // Assess
      expect(found.imageDetails).toEqual([expect.objectContaining({ registryId: '111122223333', imageDigest: digestOf('shared/base', 'v1') })]);
      expect(wrongRegion).toBeInstanceOf(RepositoryNotFoundException);
      expect(wrongAccount).toBeInstanceOf(RepositoryNotFoundException);
      expect(installed.world.calls.filter((c) => c.action === 'ecr:DescribeImages').map((c) => c.resources[0])).toEqual([
        'arn:aws:ecr:eu-west-1:111122223333:repository/shared/base',
        'arn:aws:ecr:us-east-1:111122223333:repository/shared/base',
        'arn:aws:ecr:eu-west-1:123456789012:repository/shared/base',
      ]);
    });

    it('pushes to that registry with its account and region in the event, and serves the pinned image to ECS', () => {
      // Prepare
      installed = installWorld();
      installed.world.ecr.createRepository('shared/base', SHARED);

      // Act
      const event = installed.world.ecr.pushImage('shared/base', 'v2', undefined, SHARED);
      const pinned = installed.world.ecr.pinnedUri('shared/base', 'v2', SHARED);

      // Assess
      expect(event).toMatchObject({ account: '111122223333', region: 'eu-west-1', detail: { 'repository-name': 'shared/base', 'image-tag': 'v2' } });
      expect(pinned).toBe(`111122223333.dkr.ecr.eu-west-1.amazonaws.com/shared/base@${digestOf('shared/base', 'v2')}`);
      expect(installed.world.ecr.resolveImage(pinned)).toMatchObject({ kind: 'ecr', repository: 'shared/base' });
      expect(installed.world.ecr.tagOf(pinned)).toBe('v2');
    });
  });
});
