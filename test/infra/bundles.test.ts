/**
 * The functions' bundles as `cdk synth` stages them run on their own: each
 * loads in a fresh Node.js process and exports its handler, and the Trigger's
 * starts a deployment through the real Step Functions client it bundles
 * (an HTTP endpoint on this machine stands in for the service). The other
 * tests run the sources; these catch what only bundling can break (module
 * formats, a package's ES build, what esbuild left out).
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_FUNCTIONS, ENV, type FunctionKey } from '../../lambdas/registry.ts';
import { functionBundlePath, synthDeployer, type DeployerSynth } from '../support/synth.ts';

const run = promisify(execFile);
const KEYS = Object.keys(ALL_FUNCTIONS) as FunctionKey[];
const ACCOUNT = '123456789012';
const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:EcsDeployer-ecs-rolling`;

let synth: DeployerSynth;

beforeAll(async () => {
  synth = await synthDeployer();
}, 300_000);

/** Run `script` in a fresh Node.js (the one the tests run on, as Lambda's runtime) with the bundle's path as argv[1]. */
async function inNode(bundle: string, script: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['-e', script, bundle], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', ...env },
    timeout: 60_000,
  });
  return stdout;
}

describe('function bundles', () => {
  it.each(KEYS)('%s loads in a fresh Node.js and exports its handler', async (key) => {
    // Act
    const out = await inNode(functionBundlePath(synth, key), 'process.stdout.write(typeof require(process.argv[1]).handler)');

    // Assess
    expect(out).toBe('function');
  });

  it("ValidateInput's bundle refuses a console input with the deployer's own words: the field, what it is, the key meant", async () => {
    // Prepare: `image` misspelt; the bundle validates with its compiled-in config and zod/mini (no zod locale).
    const event = {
      request: { service: 'web', imag: 'v1.5.0' },
      execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:EcsDeployer-ecs-rolling:web-1', name: 'web-1', startTime: '2026-01-01T00:00:00Z' },
    };

    // Act
    const out = await inNode(
      functionBundlePath(synth, 'ValidateInput'),
      `require(process.argv[1]).handler(${JSON.stringify(event)}, {}).then(() => process.stdout.write('accepted'), (e) => process.stdout.write(JSON.stringify([e.name, e.message])))`,
      { DEPLOYER_TABLE: 'deployer' },
    );

    // Assess
    expect(JSON.parse(out)).toEqual([
      'InvalidInput',
      "invalid deployment input: image: required: ECR image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or ...@sha256:DIGEST; (root): unknown field 'imag' (did you mean 'image'?)",
    ]);
  }, 60_000);

  it("Trigger's bundle starts the pushed service's deployment through the Step Functions API", async () => {
    // Prepare: an endpoint that answers StartExecution as Step Functions does.
    const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:web-1`, startDate: 1_767_225_600 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const digest = `sha256:${'a'.repeat(64)}`;
    const event = {
      id: 'e-1',
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      account: ACCOUNT,
      region: 'us-east-1',
      time: '2026-01-01T00:00:00Z',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': digest, 'image-tag': 'v1.5.0' },
    };
    const context = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:EcsDeployer-Trigger`, functionName: 'Trigger', awsRequestId: 'r-1' };

    // Act
    const out = await inNode(
      functionBundlePath(synth, 'Trigger'),
      `require(process.argv[1]).handler(${JSON.stringify(event)}, ${JSON.stringify(context)}).then((r) => process.stdout.write(JSON.stringify(r)))`,
      {
        AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        [ENV.stateMachines]: JSON.stringify({ rolling: STATE_MACHINE }),
      },
    ).finally(() => server.close());

    // Assess
    expect(JSON.parse(out)).toMatchObject({ started: [{ service: 'web' }] });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-amz-target']).toBe('AWSStepFunctions.StartExecution');
    expect(requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/states\/aws4_request/);
    const sent = JSON.parse(requests[0]!.body) as { stateMachineArn: string; input: string };
    expect(sent.stateMachineArn).toBe(STATE_MACHINE);
    expect(JSON.parse(sent.input)).toMatchObject({ service: 'web', image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/web:v1.5.0@${digest}` });
  }, 60_000);
});
