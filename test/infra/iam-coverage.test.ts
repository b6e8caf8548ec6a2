/**
 * IAM coverage: every AWS call a Lambda really made during local rehearsals
 * (success, every failure path, rollbacks, the lock, pushes, an abort) is
 * allowed by the role policy the synthesized stack gives that Lambda, and
 * the state machine's role may invoke exactly the Lambdas its ASL calls.
 *
 * The rehearsal runs with the template's names (account, region, table,
 * state machine), so the ARNs the simulation authorizes are the ones the
 * policies would be evaluated against in AWS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDocument, type DeployerConfig } from '../../lambdas/shared/config.ts';
import { ALL_FUNCTIONS, STATE_MACHINE_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';
import { taskStateNames } from '../../simulator/asl.ts';
import type { RecordedCall } from '../../simulator/aws/calls.ts';
import { THROTTLING } from '../../simulator/aws/faults.ts';
import { Rehearsal, stateMachineFile, type ApprovalPolicy } from '../../simulator/rehearsal.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { seedVmHosts } from '../../simulator/vm/rehearsal-hosts.ts';
import { startRehearsalSshd, type RehearsalSshd } from '../../simulator/vm/rehearsal-sshd.ts';
import { sshHostCount, withSshHosts } from '../../simulator/vm/ssh-hosts-config.ts';
import { sshdAvailability, sshdRequired } from '../support/sshd.ts';
import { exampleConfig, REGISTRY } from '../support/example-config.ts';
import { untilEntered } from '../support/until-entered.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import {
  FAKE_ACCOUNT,
  FAKE_REGION,
  FAKE_STACK_NAME,
  functionStatements,
  functionsInvokableByStateMachine,
  isAllowed,
  stateMachineLogicalIds,
  TABLE_LOGICAL_ID,
  type ResolvedStatement,
} from '../support/template-policies.ts';

/**
 * The SSH functions are rehearsed against a real sshd (the example's VM services on SSH hosts,
 * see SSH_SERVICES); where OpenSSH's server is not installed (and DEPLOYER_REQUIRE_SSHD is not
 * set, as .ci/run sets it) they cannot be, and are the only functions allowed to go unrehearsed.
 */
const SSHD = sshdAvailability();
const REHEARSE_SSH = SSHD.available || sshdRequired();
const NOT_REHEARSED = new Set<string>(REHEARSE_SSH ? [] : ['ResolveSshHosts', 'StartSshBatch', 'PollSshBatch']);
/** The example's VM services, reached over SSH in the SSH scenarios. */
const SSH_SERVICES = ['api-vm', 'worker-vm', 'portal-vm'];

/**
 * The example config with its VM services on SSH hosts through `sshd`, and
 * the same config with fixed stand-ins for the sshd (what the policies
 * depend on, the key's secret and the resources, is the same): the template
 * of that one is synthesized once and cached.
 */
async function sshConfigs(sshd: RehearsalSshd, root: string): Promise<{ rehearsed: DeployerConfig; synthPath: string }> {
  const base = exampleConfig();
  const count = sshHostCount(base, SSH_SERVICES);
  const ports: number[] = [];
  for (let i = 0; i < count; i += 1) ports.push(await freePort());
  const rehearsed = withSshHosts(base, SSH_SERVICES, sshd, { root, ports }).config;
  const standIn = withSshHosts(
    base,
    SSH_SERVICES,
    { port: 22, username: 'deploy', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' },
    { root: '/srv/rehearsal', ports: Array.from({ length: count }, (_, i) => 18_081 + i) },
  ).config;
  const dir = path.join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'ecs-deployer-ssh-config');
  mkdirSync(dir, { recursive: true });
  const synthPath = path.join(dir, 'deployer.config.json');
  writeFileSync(synthPath, configDocument(standIn));
  return { rehearsed, synthPath };
}

let synth: DeployerSynth;
let statements: Record<FunctionKey, ResolvedStatement[]>;
/** The policies of the stack synthesized with the VM services on SSH hosts. */
let sshStatements: Record<FunctionKey, ResolvedStatement[]> | undefined;
let sshd: RehearsalSshd | undefined;
let sshRoot: string | undefined;
/** Every call of every scenario, with the scenario's name and whether its services were on SSH hosts. */
const calls: { scenario: string; call: RecordedCall; ssh?: boolean }[] = [];
/** Which Lambdas each state machine invoked during the scenarios. */
const invokedByMachine = new Map<string, Set<string>>();

/** Run `act` in a fresh rehearsal named like the template, and keep every call it made. */
async function scenario(
  name: string,
  act: (session: Rehearsal) => Promise<void>,
  approvals?: ApprovalPolicy,
  config?: DeployerConfig,
  ssh = false,
): Promise<void> {
  const session = await Rehearsal.create({
    config: config ?? synth.config,
    stackName: FAKE_STACK_NAME,
    world: { account: FAKE_ACCOUNT, region: FAKE_REGION, tableName: TABLE_LOGICAL_ID, eventBusName: 'default' },
    ...(approvals === undefined ? {} : { approvals }),
  });
  try {
    if (ssh) sshd!.bind(session);
    await act(session);
    await session.settle();
    for (const call of session.world.calls) calls.push({ scenario: name, call, ssh });
    for (const execution of session.executions) {
      const machine = execution.record.stateMachineArn.split(':').at(-1)!;
      const invoked = invokedByMachine.get(machine) ?? new Set<string>();
      // The functions of the state machine the execution ran on (the ECS and VM ones share state names).
      const ran = [...Object.values(session.machines), ...Object.values(session.vmMachines)].find(
        (m) => m.stateMachineArn === execution.record.stateMachineArn,
      );
      for (const visit of execution.record.visits) {
        const key = ran?.functionOf(visit.name);
        if (key !== undefined) invoked.add(key);
      }
      invokedByMachine.set(machine, invoked);
    }
  } finally {
    session.close();
    sshd?.gateway.unbind();
  }
}

const SERVICES = [
  { service: 'web', repository: 'web', strategy: 'rolling' as const, late: 'CheckRollout' },
  { service: 'checkout', repository: 'checkout', strategy: 'canary' as const, late: 'TrafficToPrimary' },
  { service: 'payments', repository: 'payments', strategy: 'blue-green' as const, late: 'CheckOldScaleDown' },
];

async function deploy(session: Rehearsal, service: string, repository: string, tag = 'v1.1.0'): Promise<void> {
  await session.deploy({ service, image: `${REGISTRY}/${repository}:${tag}`, startedBy: 'iam-test' }).done;
}

beforeAll(async () => {
  synth = await synthDeployer();
  statements = functionStatements(synth.template);

  await scenario('success of every service', async (s) => {
    for (const svc of synth.config.ecs) await deploy(s, svc.name, svc.repository, 'v2.0.0');
  });
  for (const { service, repository, strategy, late } of SERVICES) {
    for (const state of taskStateNames(stateMachineFile(strategy))) {
      await scenario(`${service}: fail at ${state}`, async (s) => {
        s.world.failCalls({ stateName: state });
        await deploy(s, service, repository);
      });
    }
    await scenario(`${service}: late failure (every rollback state)`, async (s) => {
      s.world.failCalls({ stateName: late });
      await deploy(s, service, repository);
    });
    await scenario(`${service}: unhealthy image`, async (s) => {
      s.world.markImageUnhealthy(`${REGISTRY}/${repository}:v1.1.0`);
      await deploy(s, service, repository);
    });
    await scenario(`${service}: throttling`, async (s) => {
      s.world.failCalls({ action: 'ecs:UpdateService' }, THROTTLING, 2);
      await deploy(s, service, repository);
    });
    await scenario(`${service}: stopped, restored by the watcher`, async (s) => {
      const run = s.deploy({ service, image: `${REGISTRY}/${repository}:v1.1.0` }, 'stopped');
      await untilEntered(run, strategy === 'rolling' ? 'Verify' : 'StepVerified?');
      await s.stop(run.record.executionArn);
    });
  }
  for (const { service, repository } of SERVICES.slice(1)) {
    await scenario(`${service}: bad new revision`, async (s) => {
      s.world.markImageBad(`${REGISTRY}/${repository}:v1.1.0`);
      await deploy(s, service, repository);
    });
    await scenario(`${service}: approval rejected`, (s) => deploy(s, service, repository), { answer: 'reject' });
  }
  for (const [service, options] of [
    ['api-vm', {}],
    ['api-vm', { health: 'down' as const }],
    ['worker-vm', {}],
    ['portal-vm', {}],
    ['portal-vm', { health: 'down' as const }],
  ] as const) {
    await scenario(`${service}: VM deployment ${JSON.stringify(options)}`, async (s) => {
      const seeded = await seedVmHosts(s.world, synth.config.vm.find((v) => v.name === service)!, options);
      try {
        await s.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'iam-test' }).done;
        await s.settle();
        await s.world.vm.settled();
      } finally {
        await seeded.cleanup();
      }
    });
  }
  await scenario('portal-vm: alarm once green takes the traffic (every rollback state)', async (s) => {
    const portal = synth.config.vm.find((v) => v.name === 'portal-vm')!;
    if (portal.strategy !== 'blue-green') throw new Error('the example portal-vm is blue-green');
    const seeded = await seedVmHosts(s.world, portal);
    const green = portal.green.targetGroup;
    s.world.cloudwatch.setRule('portal-vm-5xx-rate', () => (s.world.elbv2.weightsOf(portal.loadBalancer.listener)?.[green] ?? 0) > 0);
    try {
      await s.startExecution({ service: 'portal-vm', artifact: seeded.artifact.uri, startedBy: 'iam-test' }).done;
      await s.settle();
      await s.world.vm.settled();
    } finally {
      await seeded.cleanup();
    }
  });
  for (const [service, late] of [
    ['api-vm', 'PollSsmBatch'],
    ['worker-vm', 'PollSsmBatch'],
    ['portal-vm', 'VerifyKeepWarm'],
  ] as const) {
    await scenario(`${service}: stopped, restored by the watcher`, async (s) => {
      const seeded = await seedVmHosts(s.world, synth.config.vm.find((v) => v.name === service)!);
      try {
        const run = s.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'iam-test' }, 'stopped');
        await untilEntered(run, late);
        await s.stop(run.record.executionArn);
        await s.settle();
        await s.world.vm.settled();
      } finally {
        await seeded.cleanup();
      }
    });
    await scenario(`${service}: a second deployment waits for the lock`, async (s) => {
      const seeded = await seedVmHosts(s.world, synth.config.vm.find((v) => v.name === service)!);
      try {
        const first = s.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'iam-test' }, 'first');
        const other = seeded.artifact.uri.replace(/-2\.0\.0\.tar\.gz$/, '-2.0.1.tar.gz');
        const key = (uri: string): string => uri.slice(uri.indexOf('/', 's3://'.length) + 1);
        const bucket = other.slice('s3://'.length, other.indexOf('/', 's3://'.length));
        s.world.s3.putObject(bucket, key(other), s.world.s3.object(bucket, key(seeded.artifact.uri))!);
        s.world.s3.putObject(bucket, `${key(other)}.sha256`, seeded.artifact.sha256);
        await untilEntered(first, 'ResolveHosts');
        await s.startExecution({ service, artifact: other, startedBy: 'iam-test' }, 'second').done;
        await s.settle();
        await s.world.vm.settled();
      } finally {
        await seeded.cleanup();
      }
    });
  }
  // portal-vm with an approval step before the traffic moves.
  const approving = exampleConfig((text) => text.replace('steps: [{ weight: 100, bake: 5m }]\n    keepWarm', 'steps: [{ approval: true }, { weight: 100, bake: 5m }]\n    keepWarm'));
  expect(approving.vm.find((v) => v.name === 'portal-vm')).toMatchObject({ steps: [{ kind: 'approval' }, { kind: 'weight' }] });
  await scenario(
    'portal-vm: approval step',
    async (s) => {
      const seeded = await seedVmHosts(s.world, approving.vm.find((v) => v.name === 'portal-vm')!);
      try {
        await s.startExecution({ service: 'portal-vm', artifact: seeded.artifact.uri, startedBy: 'iam-test' }).done;
        await s.settle();
        await s.world.vm.settled();
      } finally {
        await seeded.cleanup();
      }
    },
    undefined,
    approving,
  );
  await scenario('api-vm: artifact uploaded to S3', async (s) => {
    const seeded = await seedVmHosts(s.world, synth.config.vm.find((v) => v.name === 'api-vm')!);
    try {
      const key = 'api/api-vm-2.0.1.tar.gz';
      const bytes = s.world.s3.object('acme-artifacts', seeded.artifact.uri.slice('s3://acme-artifacts/'.length))!;
      await s.upload('acme-artifacts', `${key}.sha256`, `${seeded.artifact.sha256}  api-vm-2.0.1.tar.gz\n`);
      await s.upload('acme-artifacts', key, bytes);
      await s.settle();
      await s.world.vm.settled();
    } finally {
      await seeded.cleanup();
    }
  });
  if (REHEARSE_SSH) {
    sshd = await startRehearsalSshd();
    sshRoot = await mkdtemp(path.join(os.tmpdir(), 'deployer-iam-ssh-'));
    const { rehearsed, synthPath } = await sshConfigs(sshd, sshRoot);
    sshStatements = functionStatements((await synthDeployer(synthPath)).template);
    for (const [service, options, stopAt] of [
      // A failed health check runs the rolling machine's every SSH function, its rollback's too.
      ['api-vm', { health: 'down' as const }, undefined],
      ['api-vm', {}, 'PollSshBatch'],
      ['worker-vm', {}, undefined],
      ['portal-vm', {}, undefined],
    ] as const) {
      await scenario(
        `${service} on SSH hosts: VM deployment ${JSON.stringify(options)}${stopAt === undefined ? '' : `, stopped at ${stopAt}, restored by the watcher`}`,
        async (s) => {
          const seeded = await seedVmHosts(s.world, rehearsed.vm.find((v) => v.name === service)!, { ...options, sshPrivateKey: sshd!.privateKey });
          try {
            const run = s.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'iam-test' }, stopAt === undefined ? undefined : 'stopped');
            if (stopAt !== undefined) {
              await untilEntered(run, stopAt);
              await s.stop(run.record.executionArn);
            }
            await run.done;
            await s.settle();
          } finally {
            await seeded.cleanup();
          }
        },
        undefined,
        rehearsed,
        true,
      );
    }
  }
  await scenario('alarm', async (s) => {
    s.world.tripAlarmWhenNewRevisionServes('web-5xx-rate');
    await deploy(s, 'web', 'web');
  });
  await scenario('pushes, lock and supersede', async (s) => {
    await s.push('web', 'v1.1.0');
    await s.push('web', 'v1.1.0');
    await s.push('web', 'latest');
    await s.push('web', 'v1.2.0');
    await s.push('web', 'v1.3.0');
    await s.push('checkout', 'v1.2.0');
    await s.push('checkout', 'v1.3.0');
    await s.push('payments', 'v1.2.0');
    await s.push('payments', 'v1.3.0');
  });
  await scenario('stale lock taken over', async (s) => {
    s.world.failCalls({ functionKey: 'ExecutionEnded' });
    const stopped = s.deploy({ service: 'web', image: `${REGISTRY}/web:v1.1.0` }, 'stopped');
    await untilEntered(stopped, 'Verify');
    stopped.abort();
    await s.settle();
    // The scheduled lock audit finds the lock the broken watcher left.
    await s.auditLocks();
    s.world.clearFaults();
    await deploy(s, 'web', 'web', 'v1.2.0');
  });
}, 600_000);

afterAll(async () => {
  await sshd?.stop();
  if (sshRoot !== undefined) await rm(sshRoot, { recursive: true, force: true });
});

describe(`IAM coverage of the local runs${REHEARSE_SSH ? '' : ` (SSH functions not rehearsed: ${SSHD.available ? '' : SSHD.reason})`}`, () => {
  it('exercised every Lambda of the stack', () => {
    const callers = new Set(calls.map(({ call }) => call.caller.functionKey));
    for (const key of Object.keys(ALL_FUNCTIONS)) {
      expect(callers.has(key), NOT_REHEARSED.has(key) ? `${key} made calls without an sshd?` : `${key} never made an AWS call`).toBe(!NOT_REHEARSED.has(key));
    }
  });

  it('allows every call each Lambda made, on the resource it made it on', () => {
    const refused = calls
      .filter(({ call }) => call.caller.functionKey in ALL_FUNCTIONS)
      .flatMap(({ scenario: name, call, ssh }) =>
        call.resources
          .filter((resource) => !isAllowed((ssh === true ? sshStatements! : statements)[call.caller.functionKey as FunctionKey], call.action, resource))
          .map((resource) => `${name}: ${call.caller.functionKey} ${call.action} on ${resource}`),
      );
    expect([...new Set(refused)]).toEqual([]);
    expect(calls.length).toBeGreaterThan(1000);
  });

  it('lets each state machine invoke exactly the Lambdas its ASL calls, and the runs used each of them', () => {
    for (const [name, id] of Object.entries(stateMachineLogicalIds(synth.template))) {
      const invokable = functionsInvokableByStateMachine(synth.template, id).sort();
      for (const key of invokable) expect(Object.keys(STATE_MACHINE_FUNCTIONS)).toContain(key);
      expect([...(invokedByMachine.get(name) ?? [])].sort(), name).toEqual(invokable.filter((key) => !NOT_REHEARSED.has(key)));
    }
  });
});
