/**
 * What the VM functions may do, for a config with VM services: exactly the
 * calls their handlers make, on the resources the config names (the template
 * test's example config has no VM service, so there they may do nothing).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { vmResources } from '../../infra/config-resources.ts';
import { functionPolicies } from '../../infra/function-policies.ts';
import { parseConfig, type DeployerConfig } from '../../lambdas/shared/config.ts';
import { testConfig } from '../support/lambda-fixtures.ts';
import { API_TG, vmRolling, vmSsh } from '../support/vm-config-fixtures.ts';

/** A config with an SSM service and an SSH service. */
const CONFIG = parseConfig({
  vm: [vmRolling({ name: 'api', artifacts: { bucket: 'acme-artifacts', prefix: 'api/' } }), vmSsh({ name: 'legacy', artifacts: { bucket: 'legacy-builds', prefix: '' } })],
});
const TG = API_TG;

function policiesOf(config: DeployerConfig) {
  const stack = new Stack(new App(), 'EcsDeployer', { env: { account: '123456789012', region: 'us-east-1' } });
  const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const machine = (name: string) => sfn.StateMachine.fromStateMachineName(stack, name, name);
  const ecs = [machine('EcsDeployer-ecs-rolling')];
  const vm = [machine('EcsDeployer-vm-rolling')];
  const policies = functionPolicies(stack, { config, table, stateMachines: [...ecs, ...vm], ecsStateMachines: ecs, vmStateMachines: vm, stateMachineNames: [] });
  /** `action resource` lines of a function's statements, resolved. */
  const grants = (key: keyof typeof policies): string[] =>
    policies[key].statements.flatMap((s) => {
      const json = stack.resolve(s.toStatementJson()) as { Action: string | string[]; Resource: unknown };
      const actions = [json.Action].flat();
      const resources = [json.Resource].flat().map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
      return actions.flatMap((a) => resources.map((r) => `${a} ${r}`));
    });
  return { policies, grants };
}

describe('VM function policies', () => {
  it('finds what the VM services involve: SSM and SSH hosts, artifact objects, target groups, key secrets, the SSH network', () => {
    // Act
    const vm = vmResources(CONFIG);

    // Assess
    expect(vm).toEqual({
      any: true,
      ssm: true,
      ssh: true,
      artifactObjects: ['acme-artifacts/api/*', 'legacy-builds/*'],
      buckets: ['acme-artifacts', 'legacy-builds'],
      targetGroups: [TG],
      sshSecrets: ['deployer/web-key'],
      sshNetwork: { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] },
    });
  });

  it('lets each VM function make exactly the calls of its handler', () => {
    // Act
    const { grants } = policiesOf(CONFIG);

    // Assess
    expect(grants('ResolveHosts').map((g) => g.split(' ')[0])).toEqual(['ec2:DescribeInstances', 'ssm:DescribeInstanceInformation', 'dynamodb:UpdateItem']);
    expect(grants('StartSsmBatch').filter((g) => g.startsWith('ssm:SendCommand')).join('\n')).toMatch(/document\/AWS-RunShellScript/);
    expect(grants('StartSsmBatch').join('\n')).toMatch(/s3:GetObject .*:s3:::acme-artifacts\/api\/\*/);
    expect(grants('PollSsmBatch').map((g) => g.split(' ')[0])).toEqual(['ssm:ListCommandInvocations', 'ssm:GetCommandInvocation', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(grants('ResolveSshHosts').join('\n')).toMatch(/secretsmanager:GetSecretValue .*secret:deployer\/web-key-\?\?\?\?\?\?/);
    expect(grants('PollSshBatch').some((g) => g.startsWith('s3:'))).toBe(false);
    expect(grants('SetBatchTargets')).toEqual(
      expect.arrayContaining([`elasticloadbalancing:RegisterTargets ${TG}`, `elasticloadbalancing:DeregisterTargets ${TG}`]),
    );
    expect(grants('SetBatchTargets').filter((g) => g.includes('RegisterTargets') && !g.endsWith(TG))).toEqual([]);
    expect(grants('ArtifactTrigger').join('\n')).toMatch(/states:StartExecution .*EcsDeployer-vm-rolling/);
    expect(grants('Trigger').join('\n')).not.toMatch(/vm-rolling/);
  });

  it('lets StartSsmBatch read the ledger when every host is an SSH one: each rollback asks it for the SSM hosts to return first', () => {
    // Prepare
    const sshOnly = parseConfig({ vm: [vmSsh({ name: 'legacy', artifacts: { bucket: 'legacy-builds', prefix: '' } })] });

    // Act
    const { grants } = policiesOf(sshOnly);

    // Assess
    expect(grants('StartSsmBatch').map((g) => g.split(' ')[0])).toEqual(['dynamodb:Query']);
    expect(grants('PollSsmBatch')).toEqual([]);
    expect(grants('ResolveHosts')).toEqual([]);
  });

  it('grants the VM functions nothing when the config has no VM service', () => {
    // Act
    const { grants } = policiesOf(testConfig());

    // Assess
    for (const key of ['ResolveHosts', 'ResolveSshHosts', 'StartSsmBatch', 'PollSsmBatch', 'StartSshBatch', 'PollSshBatch', 'SetBatchTargets', 'ArtifactTrigger'] as const) {
      expect(grants(key), key).toEqual([]);
    }
  });
});
