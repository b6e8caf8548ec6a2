import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/registry.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import { functionLogicalIds, stateMachineLogicalIds } from '../support/template-policies.ts';

let synth: DeployerSynth;
let template: Template;

beforeAll(async () => {
  synth = await synthDeployer();
  template = Template.fromJSON(synth.template);
});

function rulesMatching(pattern: Record<string, unknown>): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.objectLike(pattern) } })).map(
    (r) => (r as { Properties: Record<string, unknown> }).Properties,
  );
}

describe('ECR push trigger', () => {
  it('matches successful pushes to the configured repositories and invokes Trigger', () => {
    const repositories = [...new Set(synth.config.ecs.map((s) => s.repository))].sort();
    expect(repositories).toEqual(['checkout', 'payments', 'team/orders-api', 'web']);

    const [rule, ...others] = rulesMatching({ source: ['aws.ecr'] });
    expect(others).toHaveLength(0);
    const pattern = rule?.EventPattern as { detail: { 'repository-name': string[] } };
    expect(pattern).toMatchObject({
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
    });
    expect([...pattern.detail['repository-name']].sort()).toEqual(repositories);
    expect(rule?.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionLogicalIds(synth.template).Trigger, 'Arn'] } }),
    ]);
  });

  it('lets EventBridge invoke Trigger from that rule only', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionLogicalIds(synth.template).Trigger, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EcrPushTriggerRule'), 'Arn'] },
    });
  });

  it("gives Trigger each strategy's state machine ARN", () => {
    const fn = synth.template.Resources[functionLogicalIds(synth.template).Trigger];
    const json = JSON.stringify((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.DEPLOYER_STATE_MACHINES);
    const ids = stateMachineLogicalIds(synth.template);
    for (const [strategy, name] of [['rolling', 'EcsDeployer-ecs-rolling'], ['canary', 'EcsDeployer-ecs-canary'], ['blue-green', 'EcsDeployer-ecs-blue-green']]) {
      expect(json).toContain(`\\"${strategy}\\":\\"`);
      expect(json).toContain(`{"Ref":"${ids[name!]!}"}`);
    }
  });
});

describe('execution end watcher', () => {
  it('sends aborted, timed-out, failed and succeeded executions of every state machine to ExecutionEnded', () => {
    const [rule, ...others] = rulesMatching({ source: ['aws.states'] });
    expect(others).toHaveLength(0);
    expect(rule?.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED'],
        stateMachineArn: Object.values(stateMachineLogicalIds(synth.template)).map((id) => ({ Ref: id })),
      },
    });
    expect(rule?.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionLogicalIds(synth.template).ExecutionEnded, 'Arn'] } }),
    ]);
  });
});

describe('notifications', () => {
  it('has an encrypted topic that refuses publishing without TLS', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('lets EventBridge use the topic key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      },
    });
  });

  it('subscribes the configured emails', () => {
    const emails = synth.config.notifications?.emails ?? [];
    template.resourceCountIs('AWS::SNS::Subscription', emails.length);
  });

  it('forwards the deployer lifecycle events to the topic as one readable line', () => {
    const [rule, ...others] = rulesMatching({ source: [EVENT_SOURCE] });
    expect(others).toHaveLength(0);
    expect(rule?.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [{ prefix: 'Deployment ' }] });
    const [target] = rule?.Targets as { Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    expect(target?.Arn).toEqual({ Ref: expect.stringMatching(/^NotificationsTopic/) });
    const { InputPathsMap: paths, InputTemplate: text } = target!.InputTransformer;
    const rendered = text.replace(/<([^>]+)>/g, (_m, name: string) => `{${paths[name] ?? '?'}}`);
    expect(rendered).toBe('"{$.detail-type}: {$.detail.service} {$.detail.image} - {$.detail.reason}"');
  });

  it('outputs the topic ARN and the table name', () => {
    template.hasOutput('TopicArn', { Value: { Ref: Match.stringLikeRegexp('^NotificationsTopic') } });
    template.hasOutput('TableName', { Value: { Ref: 'DeploymentTable' } });
  });
});
