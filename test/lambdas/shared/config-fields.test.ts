/**
 * The building blocks of the config schema (config-fields.ts) as a user
 * meets them: the message of a refused name, ARN or body path, and the
 * patterns an editor checks while the file is typed.
 */
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { listenerOnly, listenerOrRule, REGION_NAME, targetGroup } from '../../../lambdas/shared/config-fields.ts';
import { canaryEntry, problemsOfService as problemsOf, rollingEntry as rolling, type Entry } from '../../support/config-entries.ts';
import { CHECKOUT_CANARY_TG, CHECKOUT_TG, LISTENER_ARN, LISTENER_RULE_ARN } from '../../support/lambda-fixtures.ts';

const canary = (listener: string): Entry => canaryEntry({ loadBalancer: { listener, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } });

const CLUSTER_EXPECTED = 'expected an ECS cluster name such as "prod", or a cluster ARN arn:aws:ecs:REGION:ACCOUNT:cluster/NAME';
const LISTENER_EXPECTED =
  'expected the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID) or listener rule (…:listener-rule/app/NAME/ID/ID/ID)';

describe('an ARN with a wrong part', () => {
  it.each([
    ['a partition AWS has no region of ours in', 'arn:aws-iso:ecs:us-east-1:123456789012:cluster/prod', "the partition 'aws-iso' of this ARN is not aws, aws-cn or aws-us-gov"],
    ['a partition that only ends like aws', 'arn:notaws:ecs:us-east-1:123456789012:cluster/prod', "the partition 'notaws' of this ARN is not aws, aws-cn or aws-us-gov"],
    ['the ARN of another service', 'arn:aws:eks:us-east-1:123456789012:cluster/prod', 'this is an ARN of eks, not of ecs'],
    ['an ARN without a service', 'arn:aws::us-east-1:123456789012:cluster/prod', 'this is an ARN of no service, not of ecs'],
    ['a region without its number', 'arn:aws:ecs:us-east:123456789012:cluster/prod', "the region 'us-east' of this ARN is not an AWS region such as us-east-1"],
    ['an account one digit short', 'arn:aws:ecs:us-east-1:12345678901:cluster/prod', "the account '12345678901' of this ARN is not a 12-digit account ID"],
    ['an account one digit long', 'arn:aws:ecs:us-east-1:1234567890123:cluster/prod', "the account '1234567890123' of this ARN is not a 12-digit account ID"],
    ['an account with a letter first', 'arn:aws:ecs:us-east-1:a123456789012:cluster/prod', "the account 'a123456789012' of this ARN is not a 12-digit account ID"],
  ])('names %s, then says what a cluster is', (_what, cluster, problem) => {
    // Prepare
    const service = rolling({ cluster });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].cluster: ${problem}; ${CLUSTER_EXPECTED}`]);
  });

  it('names the wrong region of a listener ARN', () => {
    // Prepare
    const service = canary(LISTENER_ARN.replace(/:[a-z]{2}-[a-z]+-\d:/, ':useast1:'));

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].loadBalancer.listener: the region 'useast1' of this ARN is not an AWS region such as us-east-1; ${LISTENER_EXPECTED}`]);
  });

  it('says how to write the cluster and service of an ECS service ARN given as the cluster', () => {
    // Prepare
    const service = rolling({ cluster: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].cluster: this is the ARN of an ECS service: write cluster: prod and service: web; ${CLUSTER_EXPECTED}`]);
  });

  it('names a wrong part of an ECS service ARN before reading its cluster and service', () => {
    // Prepare
    const service = rolling({ cluster: 'arn:aws:ecs:us-east-1:1234:service/prod/web' });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].cluster: the account '1234' of this ARN is not a 12-digit account ID; ${CLUSTER_EXPECTED}`]);
  });

  it.each([
    ['text that only looks like an ARN', 'xarn:aws:ecs:us-east-1:1234:cluster/prod'],
    ['an ARN cut short', 'arn:aws:ecs:us-east-1:1234'],
  ])('says only what is expected for %s: it has no parts to name', (_what, cluster) => {
    // Prepare
    const service = rolling({ cluster });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].cluster: ${CLUSTER_EXPECTED.replace(/^expected /, '')}`]);
  });
});

describe('names and paths', () => {
  it('says how to write a service name', () => {
    // Prepare
    const service = rolling({ name: 'Web' });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual(['ecs[0].name: use 1-40 lowercase letters, digits or dashes, starting with a letter or digit']);
  });

  it('says how to write the path of a health check body assertion', () => {
    // Prepare
    const service = rolling({ healthCheck: { url: 'https://web.example.com/health', body: { path: 'checks[0].status', equals: 'UP' } } });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual(['ecs[0].healthCheck.body.path: a dotted path into the JSON body, e.g. "status" or "checks.db.status"']);
  });

  it.each([['us-east-1'], ['eu-central-2'], ['us-gov-west-1'], ['cn-north-1']])('knows %s as a region', (region) => {
    // Prepare
    const name = region;

    // Act
    const known = REGION_NAME.test(name);

    // Assess
    expect(known).toBe(true);
  });

  it.each([['ireland'], ['eu-west'], ['eu-west-1a'], ['xeu-west-1'], ['']])('does not take %j for a region', (region) => {
    // Prepare
    const name = region;

    // Act
    const known = REGION_NAME.test(name);

    // Assess
    expect(known).toBe(false);
  });
});

describe('ARN patterns for editors', () => {
  /** The pattern the published JSON Schema gives an editor for this field. */
  const editorPattern = (schema: z.core.$ZodType): RegExp => {
    const { pattern } = z.toJSONSchema(schema, { io: 'input' }) as { pattern?: unknown };
    if (typeof pattern !== 'string') throw new Error('the field has no pattern');
    return new RegExp(pattern);
  };

  it('lets an editor accept a listener or a listener rule where either may be written, and nothing else', () => {
    // Prepare
    const pattern = editorPattern(listenerOrRule);

    // Act
    const accepted = [LISTENER_ARN, LISTENER_RULE_ARN, CHECKOUT_TG].map((arn) => pattern.test(arn));

    // Assess
    expect(accepted).toEqual([true, true, false]);
  });

  it('lets an editor flag a listener rule where only a listener may be written', () => {
    // Prepare
    const pattern = editorPattern(listenerOnly);

    // Act
    const accepted = [LISTENER_ARN, LISTENER_RULE_ARN].map((arn) => pattern.test(arn));

    // Assess
    expect(accepted).toEqual([true, false]);
  });

  it('lets an editor flag a listener where a target group must be written', () => {
    // Prepare
    const pattern = editorPattern(targetGroup);

    // Act
    const accepted = [CHECKOUT_TG, LISTENER_ARN].map((arn) => pattern.test(arn));

    // Assess
    expect(accepted).toEqual([true, false]);
  });
});
