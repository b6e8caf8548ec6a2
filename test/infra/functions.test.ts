import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromRepoRoot } from '../../infra/repo-root.ts';
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

  it('uploads the release script as an asset, tells StartSsmBatch where it is and its sha256, and lets it GET that object', () => {
    // Prepare
    const script = readFileSync(fromRepoRoot('vm/release.sh'));
    const sha256 = createHash('sha256').update(script).digest('hex');

    // Act
    const variables = (props('StartSsmBatch').Environment as { Variables: Record<string, unknown> }).Variables;
    const uri = (variables.DEPLOYER_RELEASE_SCRIPT_OBJECT as { 'Fn::Sub': string })['Fn::Sub'];
    const key = /^s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/([0-9a-f]{64}\.sh)$/.exec(uri)?.[1];
    const role = (props('StartSsmBatch').Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const gets = roleStatements(synth.template, role).filter((s) => s.Action?.includes('s3:GetObject')).flatMap((s) => [s.Resource].flat());

    // Assess
    expect(variables.DEPLOYER_RELEASE_SCRIPT_SHA256).toBe(sha256);
    expect(key, uri).toBeDefined();
    expect(gets).toContain(`arn:aws:s3:::cdk-hnb659fds-assets-123456789012-us-east-1/${key}`);
    // The asset cdk deploy uploads is the script, byte for byte.
    const staged = readdirSync(synth.assemblyDir).find((f) => f === `asset.${key}`);
    expect(staged).toBeDefined();
    expect(readFileSync(path.join(synth.assemblyDir, staged!)).equals(script)).toBe(true);
    // The SSH functions still carry the script (they send it whole); StartSsmBatch no longer needs it.
    expect(ALL_FUNCTIONS.StartSsmBatch.releaseScript).toBeUndefined();
  });
});
