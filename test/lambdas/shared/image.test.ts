import { describe, expect, it } from 'vitest';
import { parseImage, pinnedImage } from '../../../lambdas/shared/image.ts';
import { ACCOUNT, DIGEST, REGION, REGISTRY } from '../../support/lambda-fixtures.ts';

describe('ECR image references', () => {
  it('reads registry, repository, tag and digest of a pushed image', () => {
    // Prepare
    const image = `${REGISTRY}/team/orders-api:release-7@${DIGEST}`;

    // Act
    const ref = parseImage(image);

    // Assess
    expect(ref).toEqual({
      registryId: ACCOUNT,
      region: REGION,
      registry: REGISTRY,
      repository: 'team/orders-api',
      tag: 'release-7',
      digest: DIGEST,
    });
  });

  it('accepts registries in the China partition', () => {
    // Prepare
    const image = `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1`;

    // Act
    const ref = parseImage(image);

    // Assess
    expect(ref).toMatchObject({ region: 'cn-north-1', repository: 'web', tag: 'v1' });
  });

  it.each([
    ['an image from Docker Hub', 'nginx:1.27'],
    ['a public ECR image', 'public.ecr.aws/nginx/nginx:1.27'],
    ['an upper-case repository', `${REGISTRY}/Web:v1`],
    ['a short digest', `${REGISTRY}/web@sha256:abc`],
    ['a tag with a shell metacharacter', `${REGISTRY}/web:v1;rm`],
  ])('does not take %s for an ECR image', (_what, image) => {
    // Prepare
    const text = image;

    // Act
    const ref = parseImage(text);

    // Assess
    expect(ref).toBeUndefined();
  });

  it('pins an image by digest, dropping the tag', () => {
    // Prepare
    const ref = parseImage(`${REGISTRY}/web:v1.2.0`);
    if (ref === undefined) throw new Error('not parsed');

    // Act
    const pinned = pinnedImage(ref, DIGEST);

    // Assess
    expect(pinned).toBe(`${REGISTRY}/web@${DIGEST}`);
    expect(parseImage(pinned)).toMatchObject({ repository: 'web', digest: DIGEST });
    expect(parseImage(pinned)).not.toHaveProperty('tag');
  });
});
