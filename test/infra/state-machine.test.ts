import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { aslFileOf, aslPlaceholders, strategyFileOf, type DeploymentKind } from '../../infra/deployment-state-machine.ts';
import { STATE_MACHINE_OUTPUTS, VM_STATE_MACHINE_OUTPUTS } from '../../infra/deployer-stack.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { STRATEGIES, type Strategy } from '../../lambdas/shared/config.ts';
import { STATE_MACHINE_FUNCTIONS, placeholderFor, type StateMachineFunctionKey } from '../../lambdas/registry.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import {
  functionLogicalIds,
  functionsInvokableByStateMachine,
  roleStatements,
  stateMachineLogicalIds,
} from '../support/template-policies.ts';

let synth: DeployerSynth;
let template: Template;

beforeAll(async () => {
  synth = await synthDeployer();
  template = Template.fromJSON(synth.template);
});


const MACHINES: [DeploymentKind, Strategy][] = (['ecs', 'vm'] as const).flatMap((kind) => STRATEGIES.map((strategy): [DeploymentKind, Strategy] => [kind, strategy]));

describe.each(MACHINES)('%s %s state machine', (kind, strategy) => {
  const name = `EcsDeployer-${strategyFileOf(strategy, kind)}`;
  const id = (): string => stateMachineLogicalIds(synth.template)[name]!;
  const stateMachine = (): Record<string, unknown> => synth.template.Resources[id()]?.Properties ?? {};
  const asl = (): string => readFileSync(path.join(REPO_ROOT, aslFileOf(strategy, kind)), 'utf8');

  it('is a STANDARD state machine named after the stack and strategy, traced, logging every event without execution data', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', MACHINES.length);
    expect(stateMachine().StateMachineName).toBe(name);
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
    expect(deployed).toBe(asl());
  });

  it("substitutes exactly the placeholders of the ASL file, each with its function's published version", () => {
    const placeholders = aslPlaceholders(asl());
    expect(placeholders.length).toBeGreaterThan(0);
    const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);

    const ids = functionLogicalIds(synth.template);
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      const placeholder = placeholderFor(key);
      if (!placeholders.includes(placeholder)) continue;
      // A version, not $LATEST: a running execution keeps the code it started with across a `cdk deploy`.
      const version = substitutions[placeholder] as { Ref: string };
      const resource = synth.template.Resources[version.Ref]!;
      expect(resource.Type, placeholder).toBe('AWS::Lambda::Version');
      expect(resource.Properties?.FunctionName).toEqual({ Ref: ids[key] });
      // ...and CloudFormation keeps the old versions a running execution may still call.
      expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('may invoke exactly the functions its Task states name', () => {
    const placeholders = aslPlaceholders(asl());
    const named = (Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]).filter((key) =>
      placeholders.includes(placeholderFor(key)),
    );
    expect(functionsInvokableByStateMachine(synth.template, id()).sort()).toEqual(named.sort());
    expect(functionsInvokableByStateMachine(synth.template, id(), 'latest')).toEqual([]);
  });

  it('has a role with nothing but Lambda invocation, log delivery and X-Ray', () => {
    const roleArn = stateMachine().RoleArn as { 'Fn::GetAtt': [string, string] };
    const actions = roleStatements(synth.template, roleArn['Fn::GetAtt'][0]).flatMap((s) => s.Action ?? ['<NotAction>']);
    for (const action of actions) expect(action).toMatch(/^(lambda:InvokeFunction|logs:\w+LogDeliver\w*|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:\w+)$/);
  });

  it('outputs its ARN under the name the CLI reads', () => {
    template.hasOutput((kind === 'vm' ? VM_STATE_MACHINE_OUTPUTS : STATE_MACHINE_OUTPUTS)[strategy], { Value: { Ref: id() } });
    template.hasOutput('StateMachinesConsoleUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['#/statemachines'])] } });
  });
});
