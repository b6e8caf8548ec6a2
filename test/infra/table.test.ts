import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_LOGICAL_ID } from '../../infra/deployment-table.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import { functionLogicalIds, tableLogicalId } from '../support/template-policies.ts';

let synth: DeployerSynth;
let template: Template;

beforeAll(async () => {
  synth = await synthDeployer();
  template = Template.fromJSON(synth.template);
});

describe('deployment table', () => {
  it('is keyed by pk/sk strings, on demand, with point-in-time recovery', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is kept when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('has a fixed logical ID, no fixed name, and has no secondary index', () => {
    expect(tableLogicalId(synth.template)).toBe(TABLE_LOGICAL_ID);
    const props = synth.template.Resources[TABLE_LOGICAL_ID]?.Properties ?? {};
    expect(props.TableName).toBeUndefined();
    expect(props.GlobalSecondaryIndexes).toBeUndefined();
    expect(props.LocalSecondaryIndexes).toBeUndefined();
  });

  it('is named in the environment of exactly the functions that use it', () => {
    const ids = functionLogicalIds(synth.template);
    const withTable = Object.entries(ids)
      .filter(([, id]) => {
        const variables = (synth.template.Resources[id]?.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables;
        return variables?.DEPLOYER_TABLE !== undefined;
      })
      .map(([key]) => key)
      .sort();
    expect(withTable).toEqual([
      'AcquireLock', 'AuditLocks', 'AwaitLock', 'ExecutionEnded', 'LoadRestore', 'PollSshBatch', 'PollSsmBatch', 'RecordEvent', 'ReleaseLock',
      'RequestApproval', 'ResolveHosts', 'ResolveSshHosts', 'SetBatchTargets', 'StartSshBatch', 'StartSsmBatch', 'Verify',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { DEPLOYER_TABLE: { Ref: TABLE_LOGICAL_ID } } },
    });
  });
});
