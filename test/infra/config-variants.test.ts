/**
 * The stack for configs other than the example. Bundling is skipped
 * (`aws:cdk:bundling-stacks: []`): these tests are about resources and IAM,
 * and each synthesis then takes a second instead of bundling eleven functions.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addDeployerStack } from '../../infra/deployer-app.ts';
import { parseConfig, ConfigError } from '../../lambdas/shared/config.ts';
import { cdkJsonContext } from '../support/synth.ts';
import { functionStatements, isAllowed, type CfnTemplateJson } from '../support/template-policies.ts';

function synthWithoutBundling(raw: unknown): CfnTemplateJson {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = addDeployerStack(app, parseConfig(raw));
  // Synthesizing the app runs the cdk-nag checks too (a finding throws).
  return app.synth().getStackByName(stack.stackName).template as CfnTemplateJson;
}

const svc = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  cluster: 'prod',
  service: name,
  container: 'app',
  repository: name,
  tagPattern: 'v*',
  strategy: 'rolling',
  ...extra,
});

describe('stack for other configs', () => {
  it('refuses a config with no services: the stack would deploy nothing', () => {
    expect(() => synthWithoutBundling({})).toThrow(/ecs: no services/);
  });

  it('gives rolling-only configs no load balancer, metrics or canary permissions', () => {
    const template = synthWithoutBundling({ ecs: [svc('web')] });
    const statements = functionStatements(template);
    const actions = Object.values(statements).flatMap((list) => list.flatMap((s) => s.Action ?? []));
    expect(actions.filter((a) => /^(elasticloadbalancing:|cloudwatch:(GetMetricData|DescribeAlarms)|ecs:(CreateService|DeleteService))/.test(a))).toEqual([]);
  });

  it('lets only the canary functions create and delete the canary the deployer owns, not a team-owned one', () => {
    const lb = {
      listener: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2',
      targetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/73e2d6bc24d8a067',
      canaryTargetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a-canary/2453ed029918f21f',
    };
    const template = synthWithoutBundling({
      ecs: [
        svc('a', { strategy: 'canary', repository: 'app-a', loadBalancer: lb }),
        svc('b', { strategy: 'canary', repository: 'app-b', canaryService: 'b-mine', loadBalancer: { ...lb, targetGroup: lb.targetGroup.replace('/a/', '/b/'), canaryTargetGroup: lb.canaryTargetGroup.replace('/a-canary/', '/b-canary/') } }),
      ],
    });
    const { PrepareCanaryService, DeleteService, UpdateService } = functionStatements(template);
    const arn = (name: string): string => `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`;
    expect(isAllowed(PrepareCanaryService, 'ecs:CreateService', arn('a-canary'))).toBe(true);
    expect(isAllowed(DeleteService, 'ecs:DeleteService', arn('a-canary'))).toBe(true);
    expect(isAllowed(PrepareCanaryService, 'ecs:CreateService', arn('b-mine'))).toBe(false);
    expect(isAllowed(DeleteService, 'ecs:DeleteService', arn('b-mine'))).toBe(false);
    expect(isAllowed(UpdateService, 'ecs:UpdateService', arn('b-mine'))).toBe(true);
  });

  it('takes the cluster name out of a cluster ARN', () => {
    const template = synthWithoutBundling({
      ecs: [svc('web', { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/blue' })],
    });
    const { UpdateService } = functionStatements(template);
    expect(isAllowed(UpdateService, 'ecs:UpdateService', 'arn:aws:ecs:us-east-1:123456789012:service/blue/web')).toBe(true);
    expect(
      isAllowed(UpdateService, 'ecs:UpdateService', 'arn:aws:ecs:us-east-1:123456789012:service/arn:aws:ecs:us-east-1:123456789012:cluster/blue/web'),
    ).toBe(false);
  });

  it('refuses a malformed cluster ARN naming the field', () => {
    expect(() => synthWithoutBundling({ ecs: [svc('web', { cluster: 'arn:aws:ecs:us-east-1:1:service/x' })] })).toThrow(ConfigError);
    expect(() => synthWithoutBundling({ ecs: [svc('web', { cluster: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' })] })).toThrow(/ecs\[0\]\.cluster/);
    expect(() => synthWithoutBundling({ ecs: [svc('web', { cluster: 'arn:aws:ecs:us-east-1:1:service/x' })] })).toThrow(/ecs\[0\]\.cluster/);
  });

  it('lists shared repositories and alarms once', () => {
    const template = synthWithoutBundling({
      ecs: [svc('a', { repository: 'shared', alarms: ['x', 'y'] }), svc('b', { repository: 'shared', alarms: ['x'] })],
    });
    const rules = Template.fromJSON(template).findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.ecr'] } } });
    const [rule] = Object.values(rules) as { Properties: { EventPattern: { detail: { 'repository-name': string[] } } } }[];
    expect(rule?.Properties.EventPattern.detail['repository-name']).toEqual(['shared']);
    const verify = functionStatements(template)
      .Verify.filter((s) => s.Action?.includes('cloudwatch:DescribeAlarms'))
      .flatMap((s) => s.Resource ?? []);
    expect(verify).toEqual([
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:x',
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:y',
    ]);
  });

  it('subscribes each configured email to the topic', () => {
    const template = synthWithoutBundling({ notifications: { emails: ['ops@example.com', 'dev@example.com'] }, ecs: [svc('web')] });
    const subscriptions = Template.fromJSON(template).findResources('AWS::SNS::Subscription');
    expect(Object.values(subscriptions).map((s) => (s as { Properties: { Protocol: string; Endpoint: string } }).Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'dev@example.com' }),
    ]);
  });
});
