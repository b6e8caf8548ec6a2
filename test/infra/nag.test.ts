import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { addNagChecks } from '../../infra/deployer-app.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';

let synth: DeployerSynth;

beforeAll(async () => {
  synth = await synthDeployer();
});

interface NagMetadata {
  rules_to_suppress?: { id?: string; reason?: string }[];
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing in the deployer stack', () => {
    const findings = synth.validationViolations.map(
      (v) => `${v.ruleName} (${v.severity ?? '?'}) at ${v.constructPaths.join(', ')}: ${v.description}`,
    );
    expect(findings).toEqual([]);
    expect(synth.validationError).toBeUndefined();
  });

  it('acknowledges findings only with a reason, finding by finding', () => {
    const acknowledged: string[] = [];
    for (const [id, res] of Object.entries(synth.template.Resources)) {
      const nag = res.Metadata?.cdk_nag as NagMetadata | undefined;
      for (const rule of nag?.rules_to_suppress ?? []) {
        expect(rule.reason?.trim().length ?? 0, `${id} ${rule.id ?? '?'}`).toBeGreaterThan(20);
        // A whole rule (`AwsSolutions-IAM5` without `[finding]`) would hide future wildcards too.
        // The one other: the dead-letter queue has no dead-letter queue of its own.
        if (id.startsWith('DeadLettersQueue')) {
          expect(rule.id).toBe('AwsSolutions-SQS3');
          continue;
        }
        expect(rule.id, id).toMatch(/^AwsSolutions-IAM5\[.+\]$/);
        acknowledged.push(`${id}: ${rule.id ?? '?'}`);
      }
    }
    // Only the roles that need a wildcard have one (and their policies, which inherit it).
    const owners = [...new Set(acknowledged.map((a) => a.replace(/(RoleDefaultPolicy|Role)[0-9A-F]{8}:.*$/, '')))].sort();
    expect(owners).toEqual([
      'AcquireLock',
      'AwaitLock',
      'CaptureBaseline',
      'CheckDrained',
      'CheckService',
      'EcsBlueGreenStateMachine',
      'EcsCanaryStateMachine',
      'EcsRollingStateMachine',
      'ExecutionEnded',
      // The VM functions: SSM/EC2 reads without resource-level permissions, SendCommand on instances found by tag, artifacts by prefix.
      'PollSsmBatch',
      'ReadWeights',
      'RegisterTaskDefinition',
      'ReleaseLock',
      'ResolveHosts',
      'SetBatchTargets',
      'SetWeights',
      'SnapshotServices',
      'StartSsmBatch',
      // Reads the VM artifacts under each configured prefix (bucket/prefix*).
      'ValidateInput',
      'Verify',
      'VmBlueGreenStateMachine',
      'VmCanaryStateMachine',
      'VmRollingStateMachine',
    ]);
  });

  it('fails synth on a finding (the checks are really applied)', () => {
    const app = new App();
    new sns.Topic(new Stack(app, 'Probe'), 'PlainTopic');
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});
