import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { aslPlaceholders, ECS_ROLLING_ASL } from '../../infra/ecs-rolling-state-machine.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { STATE_MACHINE_FUNCTIONS, placeholderFor, type StateMachineFunctionKey } from '../../lambdas/registry.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import {
  functionLogicalIds,
  functionsInvokableByStateMachine,
  roleStatements,
  stateMachineLogicalId,
} from '../support/template-policies.ts';

let synth: DeployerSynth;
let template: Template;

beforeAll(async () => {
  synth = await synthDeployer();
  template = Template.fromJSON(synth.template);
});

function stateMachine(): Record<string, unknown> {
  return synth.template.Resources[stateMachineLogicalId(synth.template)]?.Properties ?? {};
}

describe('ECS rolling state machine', () => {
  it('is one STANDARD state machine, traced, logging every event without execution data', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }],
      },
    });
  });

  it('deploys the ASL file as an asset, unchanged', () => {
    const props = stateMachine();
    expect(props.DefinitionString).toBeUndefined();
    expect(props.Definition).toBeUndefined();
    const location = props.DefinitionS3Location as { Key: string };
    expect(location.Key).toMatch(/\.json$/);
    const deployed = readFileSync(path.join(synth.assemblyDir, `asset.${location.Key}`), 'utf8');
    expect(deployed).toBe(readFileSync(path.join(REPO_ROOT, ECS_ROLLING_ASL), 'utf8'));
  });

  it('substitutes exactly the placeholders of the ASL file, each with its function ARN', () => {
    const placeholders = aslPlaceholders(readFileSync(path.join(REPO_ROOT, ECS_ROLLING_ASL), 'utf8'));
    expect(placeholders.length).toBeGreaterThan(0);
    const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);

    const ids = functionLogicalIds(synth.template);
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      const placeholder = placeholderFor(key);
      if (!placeholders.includes(placeholder)) continue;
      expect(substitutions[placeholder], placeholder).toEqual({ 'Fn::GetAtt': [ids[key], 'Arn'] });
    }
  });

  it('may invoke exactly the functions its Task states name', () => {
    const placeholders = aslPlaceholders(readFileSync(path.join(REPO_ROOT, ECS_ROLLING_ASL), 'utf8'));
    const named = (Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]).filter((key) =>
      placeholders.includes(placeholderFor(key)),
    );
    expect(functionsInvokableByStateMachine(synth.template).sort()).toEqual(named.sort());
  });

  it('has a role with nothing but Lambda invocation, log delivery and X-Ray', () => {
    const roleArn = stateMachine().RoleArn as { 'Fn::GetAtt': [string, string] };
    const actions = roleStatements(synth.template, roleArn['Fn::GetAtt'][0]).flatMap((s) => s.Action ?? ['<NotAction>']);
    for (const action of actions) expect(action).toMatch(/^(lambda:InvokeFunction|logs:\w+LogDeliver\w*|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:\w+)$/);
  });

  it('outputs its ARN and a console link', () => {
    const id = stateMachineLogicalId(synth.template);
    template.hasOutput('StateMachineArn', { Value: { Ref: id } });
    template.hasOutput('StateMachineConsoleUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['#/statemachines/view/', { Ref: id }])] },
    });
  });
});
