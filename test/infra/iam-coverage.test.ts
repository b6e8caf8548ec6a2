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
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_FUNCTIONS, STATE_MACHINE_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';
import { taskStateNames } from '../../simulator/asl.ts';
import type { RecordedCall } from '../../simulator/aws/calls.ts';
import { THROTTLING } from '../../simulator/aws/faults.ts';
import { Rehearsal, STATE_MACHINE_FILE } from '../../simulator/rehearsal.ts';
import { webImage } from '../support/example-config.ts';
import { untilEntered } from '../support/until-entered.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import {
  FAKE_ACCOUNT,
  FAKE_REGION,
  functionStatements,
  functionsInvokableByStateMachine,
  isAllowed,
  stateMachineName,
  TABLE_LOGICAL_ID,
  type ResolvedStatement,
} from '../support/template-policies.ts';

let synth: DeployerSynth;
let statements: Record<FunctionKey, ResolvedStatement[]>;
/** Every call of every scenario, with the scenario's name. */
const calls: { scenario: string; call: RecordedCall }[] = [];
/** Which Lambdas the state machine invoked during the scenarios. */
const invokedByMachine = new Set<string>();

/** Run `act` in a fresh rehearsal named like the template, and keep every call it made. */
async function scenario(name: string, act: (session: Rehearsal) => Promise<void>): Promise<void> {
  const session = await Rehearsal.create({
    config: synth.config,
    stateMachineName: stateMachineName(synth.template),
    world: { account: FAKE_ACCOUNT, region: FAKE_REGION, tableName: TABLE_LOGICAL_ID, eventBusName: 'default' },
  });
  try {
    await act(session);
    await session.settle();
    for (const call of session.world.calls) {
      calls.push({ scenario: name, call });
      if (call.caller.stateName !== undefined) invokedByMachine.add(call.caller.functionKey);
    }
  } finally {
    session.close();
  }
}

async function deploy(session: Rehearsal, tag: string): Promise<void> {
  await session.deploy({ service: 'web', image: webImage(tag), startedBy: 'iam-test' }).done;
}

beforeAll(async () => {
  synth = await synthDeployer();
  statements = functionStatements(synth.template);

  await scenario('success', (s) => deploy(s, 'v1.1.0'));
  await scenario('second service', async (s) => {
    const other = synth.config.ecs[1];
    if (other === undefined) return;
    await s.deploy({ service: other.name, image: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/${other.repository}:v2.0.0` }).done;
  });
  for (const state of taskStateNames(STATE_MACHINE_FILE)) {
    await scenario(`fail at ${state}`, async (s) => {
      s.world.failCalls({ stateName: state });
      await deploy(s, 'v1.1.0');
    });
  }
  await scenario('unhealthy image', async (s) => {
    s.world.markImageUnhealthy(webImage('v1.1.0'));
    await deploy(s, 'v1.1.0');
  });
  await scenario('alarm', async (s) => {
    s.world.tripAlarmWhenNewRevisionServes('web-5xx-rate');
    await deploy(s, 'v1.1.0');
  });
  await scenario('throttling', async (s) => {
    s.world.failCalls({ action: 'ecs:UpdateService' }, THROTTLING, 2);
    await deploy(s, 'v1.1.0');
  });
  await scenario('pushes, lock and supersede', async (s) => {
    await s.push('web', 'v1.1.0');
    await s.push('web', 'v1.1.0');
    await s.push('web', 'latest');
    await s.push('web', 'v1.2.0');
    await s.push('web', 'v1.3.0');
  });
  await scenario('stopped from the console', async (s) => {
    const run = s.deploy({ service: 'web', image: webImage('v1.1.0') }, 'stopped');
    await untilEntered(run, 'Verify');
    run.abort();
  });
});

describe('IAM coverage of the local runs', () => {
  it('exercised every Lambda of the stack', () => {
    const callers = new Set(calls.map(({ call }) => call.caller.functionKey));
    // Lambdas that make no AWS call of their own still ran as Tasks.
    for (const key of Object.keys(ALL_FUNCTIONS)) {
      expect(callers.has(key) || invokedByMachine.has(key), `${key} never ran`).toBe(true);
    }
  });

  it('allows every call each Lambda made, on the resource it made it on', () => {
    const refused = calls
      .filter(({ call }) => call.caller.functionKey in ALL_FUNCTIONS)
      .flatMap(({ scenario: name, call }) =>
        call.resources
          .filter((resource) => !isAllowed(statements[call.caller.functionKey as FunctionKey], call.action, resource))
          .map((resource) => `${name}: ${call.caller.functionKey} ${call.action} on ${resource}`),
      );
    expect([...new Set(refused)]).toEqual([]);
    expect(calls.length).toBeGreaterThan(100);
  });

  it('lets the state machine invoke exactly the Lambdas its ASL calls', () => {
    const invokable = functionsInvokableByStateMachine(synth.template).sort();
    expect(invokable).toEqual(Object.keys(STATE_MACHINE_FUNCTIONS).sort());
    for (const key of invokedByMachine) expect(invokable).toContain(key);
  });
});
