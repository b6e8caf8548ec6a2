/**
 * Step Functions' own limits, rehearsed: the local runner ends an execution
 * the way AWS does (25,000 history events, 256 KB of state), the budget
 * validation computes is an upper bound of what a deployment really writes,
 * and the longest configuration validation accepts stays within the limit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_HISTORY_EVENTS_BUDGET, worstCase } from '../../lambdas/shared/budget.ts';
import { LocalStateMachine, MAX_HISTORY_EVENTS } from '../../simulator/local-state-machine.ts';
import { Rehearsal, rehearseDeployment } from '../../simulator/rehearsal.ts';
import { VirtualClock } from '../../simulator/virtual-clock.ts';
import { accepted, configWith, longestAccepted, LONGEST } from '../support/longest-config.ts';
import { image } from '../support/rehearsal-config.ts';

/** A state machine file of the test's own. */
function definitionFile(definition: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'asl-')), 'machine.asl.json');
  writeFileSync(file, JSON.stringify(definition));
  return file;
}

function localMachine(definition: unknown): LocalStateMachine {
  const world = { account: '123456789012', region: 'us-east-1', withCaller: <T>(_c: unknown, fn: () => Promise<T>) => fn() };
  return new LocalStateMachine({ file: definitionFile(definition), stateMachineName: 'limits', clock: new VirtualClock(0), world, handlers: {} });
}

describe('the local runner, like Step Functions', () => {
  it('ends an execution that reaches 25,000 history events FAILED with States.Runtime, without running its Catch', async () => {
    // Prepare: a loop (2 events a state) whose way out is never taken, and a Catch-all that never runs.
    const machine = localMachine({
      StartAt: 'Again',
      States: {
        Again: { Type: 'Pass', Next: 'Done?' },
        'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', IsPresent: true, Next: 'Done' }], Default: 'Again' },
        Done: { Type: 'Succeed' },
      },
    });

    // Act
    const record = await machine.start({}).done;

    // Assess
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).` });
    expect(record.historyEvents).toBeGreaterThan(MAX_HISTORY_EVENTS);
    // The runner reads the interpreter's events asynchronously: a loop of synchronous states runs a little past the limit.
    expect(record.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS * 1.5);
    expect(record.visits.map((v) => v.name)).not.toContain('Done');
  });

  it('ends an execution whose state output exceeds 256 KB FAILED with States.DataLimitExceeded', async () => {
    // Prepare: 300 KB of output from one Pass.
    const machine = localMachine({
      StartAt: 'Big',
      States: { Big: { Type: 'Pass', Result: { blob: 'x'.repeat(300 * 1024) }, Next: 'After' }, After: { Type: 'Wait', Seconds: 1, End: true } },
    });

    // Act
    const record = await machine.start({}).done;

    // Assess
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.maxPayloadBytes).toBeGreaterThan(256 * 1024);
  });
});

describe('the longest configuration validation accepts', () => {
  let session: Rehearsal | undefined;
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  it.each([
    ['web', 'web'],
    ['checkout', 'checkout'],
    ['payments', 'payments'],
  ] as const)('%s: deploys within Step Functions limits, and within the budget validation computed', async (service, repository) => {
    // Prepare
    const { minutes, svc } = longestAccepted(service, LONGEST[service]);
    const budget = worstCase(svc);
    expect(budget.events).toBeLessThanOrEqual(MAX_HISTORY_EVENTS_BUDGET);
    expect(accepted(service, LONGEST[service](minutes + 1)), 'one more minute is refused').toBeUndefined();
    const config = configWith(service, LONGEST[service](minutes));

    // Act
    const { report } = await rehearseDeployment({ config, service, image: image(repository, 'v1.1.0') });

    // Assess
    expect(report.status, report.error?.cause).toBe('SUCCEEDED');
    expect(report.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS);
    expect(report.historyEvents).toBeLessThanOrEqual(budget.events);
    expect(report.maxPayloadBytes).toBeLessThan(64 * 1024);
  });

  it('waits for the lock behind the longest rolling deployment within the budget of the wait', async () => {
    // Prepare
    const { svc } = longestAccepted('web', LONGEST.web);
    const config = configWith('web', LONGEST.web(Math.floor(svc.strategy === 'rolling' ? svc.bakeSeconds / 60 : 0)));
    session = await Rehearsal.create({ config });
    const first = session.deploy({ service: 'web', image: image('web', 'v1.1.0') }, 'first');
    while (!first.record.visits.some((v) => v.name === 'UpdateService')) await new Promise((resolve) => setImmediate(resolve));

    // Act
    const second = await session.deploy({ service: 'web', image: image('web', 'v1.2.0') }, 'second').done;
    await session.settle();

    // Assess
    expect(second.status).toBe('SUCCEEDED');
    const lock = worstCase(svc).parts.find((p) => p.what === 'waiting for the lock')!;
    const waitEvents = second.visits
      .slice(0, second.visits.findIndex((v) => v.name === 'DescribeServices'))
      .reduce((sum, v) => sum + (v.name === 'WaitForLock' ? 6 : v.type === 'Task' ? 5 : 2), 0);
    expect(waitEvents).toBeLessThanOrEqual(lock.events);
    // Woken when the lock was released, and otherwise re-checking every 15 minutes, not every 30 seconds.
    const waits = second.visits.filter((v) => v.name === 'WaitForLock').length;
    expect(waits).toBeLessThanOrEqual(Math.ceil((first.record.stoppedAt! - first.record.startedAt) / 900_000) + 1);
  });
});
