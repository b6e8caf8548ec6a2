import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_TARGET, FUNCTION_RUNTIME } from '../../infra/deployer-function.ts';
import { ALL_FUNCTIONS, functionTimeoutSeconds, type FunctionKey } from '../../lambdas/registry.ts';
import { functionBundle, synthDeployer, type DeployerSynth } from '../support/synth.ts';
import { functionLogicalIds, roleStatements } from '../support/template-policies.ts';

let synth: DeployerSynth;
const KEYS = Object.keys(ALL_FUNCTIONS) as FunctionKey[];

beforeAll(async () => {
  synth = await synthDeployer();
});

function props(key: FunctionKey): Record<string, unknown> {
  return synth.template.Resources[functionLogicalIds(synth.template)[key]]?.Properties ?? {};
}

function resourcesOfType(type: string): string[] {
  return Object.keys(synth.template.Resources).filter((id) => synth.template.Resources[id]?.Type === type);
}

describe('functions', () => {
  it('exist once per registry entry', () => {
    expect(resourcesOfType('AWS::Lambda::Function').sort()).toEqual(Object.values(functionLogicalIds(synth.template)).sort());
  });

  it.each(KEYS)('%s runs on Node.js 24, arm64, 256 MB, with its timeout and description', (key) => {
    expect(FUNCTION_RUNTIME.name).toBe('nodejs24.x');
    expect(BUNDLE_TARGET).toBe('node24');
    expect(props(key)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: functionTimeoutSeconds(ALL_FUNCTIONS[key]),
      Description: ALL_FUNCTIONS[key].description,
    });
  });

  it.each(KEYS)('%s logs to its own log group, kept for a month', (key) => {
    const logGroupRef = (props(key).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(synth.template.Resources[logGroupRef]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    // Writing to that group is the only logs permission of its role.
    const role = (props(key).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const logs = roleStatements(synth.template, role).filter((s) => s.Action?.some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`arn:aws:logs:us-east-1:123456789012:log-group:${logGroupRef}:*`],
      },
    ]);
  });

  it('each have a role of their own, without managed policies', () => {
    const roles = KEYS.map((key) => (props(key).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(KEYS.length);
    for (const role of roles) expect(synth.template.Resources[role]?.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it.each(KEYS)('%s has the Powertools settings', (key) => {
    expect(props(key).Environment).toMatchObject({
      Variables: { POWERTOOLS_SERVICE_NAME: 'deployer', POWERTOOLS_LOG_LEVEL: 'INFO' },
    });
  });

  it('has the config compiled into exactly the functions that need it', () => {
    const withConfig = KEYS.filter((key) => functionBundle(synth, key).includes('orders-api'));
    expect(withConfig.sort()).toEqual(KEYS.filter((key) => ALL_FUNCTIONS[key].needsConfig).sort());
    expect(withConfig.sort()).toEqual(['ArtifactTrigger', 'AuditLocks', 'Trigger', 'ValidateInput']);
  });

  it('bundles the AWS SDK clients instead of using the runtime ones', () => {
    const bundle = functionBundle(synth, 'UpdateService');
    // `[require("@aws-sdk/signature-v4-crt");]` only appears inside SDK error messages.
    const required = [...bundle.matchAll(/(?<!\[)require\(["'](@aws-sdk\/[^"']+)["']\)/g)].map((m) => m[1]);
    expect(required).toEqual([]);
    expect(bundle.includes('AmazonEC2ContainerServiceV20141113'), 'the ECS client is in the bundle').toBe(true);
  });

  it('gives the config to no function through its environment', () => {
    for (const key of KEYS) expect(JSON.stringify(props(key).Environment)).not.toContain('orders-api');
  });
});
