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
  ...extra,
});

describe('stack for other configs', () => {
  it('synthesizes with no services: no push rule, no ECS, ECR or alarm permissions', () => {
    const template = synthWithoutBundling({});
    Template.fromJSON(template).resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ecr'] } }, 0);
    const statements = functionStatements(template);
    const actions = Object.values(statements).flatMap((list) => list.flatMap((s) => s.Action ?? []));
    expect(actions.filter((a) => /^(ecr:DescribeImages|ecs:(DescribeServices|UpdateService)|cloudwatch:)/.test(a))).toEqual([]);
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
