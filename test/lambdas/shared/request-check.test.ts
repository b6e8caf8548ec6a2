import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { checkRequest, checkVmRequest, versionFromKey } from '../../../lambdas/shared/request-check.ts';
import { CONFIG_DOCUMENT } from '../../support/lambda-fixtures.ts';
import { vmCanary, vmRolling } from '../../support/vm-config-fixtures.ts';

const config = parseConfig({
  ecs: CONFIG_DOCUMENT.ecs,
  vm: [vmRolling(), vmCanary({ artifacts: { bucket: 'acme-artifacts', prefix: 'worker/', pattern: 'worker-*.tgz' } })],
});

describe('versionFromKey', () => {
  it.each([
    ['api/api-1.4.0.tar.gz', '*.tar.gz', 'api', '1.4.0'],
    ['api/api-vm-2.0.0-rc.1.tar.gz', '*.tar.gz', 'api-vm', '2.0.0-rc.1'],
    ['api/release-7.tar.gz', '*.tar.gz', 'api', 'release-7'],
    ['worker/worker-9.tgz', 'worker-*.tgz', 'worker', '9'],
    ['worker/worker-9.tgz', 'worker-*.tgz', 'worker-vm', '9'],
    ['api/api-.tar.gz', '*.tar.gz', 'api', 'api-'],
  ])('reads %s (pattern %s, service %s) as release %s', (key, pattern, service, version) => {
    // Act
    const found = versionFromKey(key, pattern, service);

    // Assess
    expect(found).toBe(version);
  });
});

describe('checkVmRequest', () => {
  it('accepts an artifact of the service\'s pattern under its prefix, with the version of its file name', () => {
    // Act
    const checked = checkVmRequest({ service: 'worker-vm', artifact: 's3://acme-artifacts/worker/worker-3.1.tgz' }, config);

    // Assess
    expect(checked).toMatchObject({ ok: true, bucket: 'acme-artifacts', key: 'worker/worker-3.1.tgz', version: '3.1' });
  });

  it('refuses an ECS service named with an artifact, and an unknown service, listing every service', () => {
    // Act
    const ecs = checkVmRequest({ service: 'web', artifact: 's3://acme-artifacts/api/api-vm-1.tar.gz' }, config);
    const unknown = checkVmRequest({ service: 'nope', artifact: 's3://acme-artifacts/api/api-vm-1.tar.gz' }, config);

    // Assess
    expect(ecs).toEqual({ ok: false, field: 'service', message: "'web' is an ECS service: give image (an ECR image), not artifact" });
    expect(unknown).toEqual({
      ok: false,
      field: 'service',
      message: "'nope' is not in the deployer config; configured services: web, orders-api, checkout, payments, api-vm, worker-vm",
    });
  });
});

describe('checkRequest', () => {
  it('refuses an image for a VM service, saying to give the artifact', () => {
    // Act
    const checked = checkRequest({ service: 'api-vm', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1' }, config);

    // Assess
    expect(checked).toEqual({ ok: false, field: 'service', message: "'api-vm' is a VM service: give artifact (an S3 URI under s3://acme-artifacts/api/), not image" });
  });
});
