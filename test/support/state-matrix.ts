/**
 * Failure and stop at every state of a strategy's state machine, generated
 * from its ASL (so a new state is covered without a new test): what each
 * must end with, and a rehearsal runner that reports it.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readPart, STRATEGY_FILES } from '../../infra/asl/compose.ts';
import type { DeployerConfig, Strategy } from '../../lambdas/shared/config.ts';
import { documentClient } from '../../lambdas/shared/table.ts';
import { readFileSync } from 'node:fs';
import { stateMachinePath, stateNames, taskStateNames, type AslDefinition } from '../../simulator/asl.ts';
import type { Snapshot } from '../../simulator/aws/world.ts';
import { rehearseDeployment, stateMachineFile, type DeploymentRehearsalOptions } from '../../simulator/rehearsal.ts';
import type { RehearsalReport } from '../../simulator/report.ts';

/** The sections of a strategy's part, by state name. */
export function sectionsOf(strategy: Strategy): { snapshot: Set<string>; deploy: Set<string>; rollback: Set<string> } {
  const part = readPart(STRATEGY_FILES[strategy]);
  return {
    snapshot: new Set(Object.keys(part.Snapshot.States)),
    deploy: new Set(Object.keys(part.Deploy.States)),
    rollback: new Set(Object.keys(part.Rollback.States)),
  };
}

/** Envelope states where a failure (or stop) leaves nothing changed: before the snapshot is recorded. */
export const BEFORE_CHANGE = new Set(['Restore?', 'AcquireLock', 'LockAcquired?', 'WaitForLock', 'RecordStart']);
/** Envelope states after success is recorded: a failure or stop there keeps the verified deployment. */
export const AFTER_SUCCESS = new Set(['ReleaseLock', 'Deployed']);

/** Every Task state, and every state, of a strategy's file. */
export function statesOf(strategy: Strategy): { tasks: string[]; all: string[] } {
  const file = stateMachineFile(strategy);
  return { tasks: taskStateNames(file), all: stateNames(file) };
}

/**
 * The states a successful deployment passes through, from the ASL alone:
 * reachable from the start by Next, Default and Choices (never by a Catch),
 * not into a restore run, a wait for the lock or a supersede.
 */
export function successStates(strategy: Strategy): string[] {
  const definition = JSON.parse(readFileSync(stateMachinePath(stateMachineFile(strategy)), 'utf8')) as AslDefinition;
  const notTaken: Record<string, string[]> = { 'Restore?': ['LoadRestore'], 'LockAcquired?': ['RecordSuperseded', 'WaitForLock'] };
  const reached: string[] = [];
  const walk = (name: string): void => {
    if (reached.includes(name)) return;
    reached.push(name);
    const state = definition.States[name]!;
    const next = [state.Next, state.Default, ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next)];
    for (const n of next) if (typeof n === 'string' && !(notTaken[name] ?? []).includes(n)) walk(n);
  };
  walk(definition.StartAt);
  return reached;
}

/** What a failure injected at `state` (on the success path) must end with. */
export function expectedOnFailure(strategy: Strategy, state: string): 'FAILED' | 'ROLLED_BACK' | 'SUCCEEDED' {
  const { snapshot } = sectionsOf(strategy);
  if (state === 'ValidateInput' || BEFORE_CHANGE.has(state) || snapshot.has(state)) return 'FAILED';
  if (state === 'RecordSuccess' || AFTER_SUCCESS.has(state)) return 'SUCCEEDED';
  return 'ROLLED_BACK';
}

/** The service's lock holder and its history items, from the simulated table. */
export async function tableState(service: string): Promise<{ holder: unknown; history: Record<string, unknown>[] }> {
  const client = documentClient();
  const lock = await client.send(new GetCommand({ TableName: 'deployer', Key: { pk: `SERVICE#${service}`, sk: 'LOCK' } }));
  const history = await client.send(
    new QueryCommand({
      TableName: 'deployer',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': `SERVICE#${service}`, ':d': 'DEPLOY#' },
    }),
  );
  return { holder: lock.Item?.holder, history: history.Items ?? [] };
}

/** One rehearsal's result, with what the table says at its end. */
export interface MatrixRun {
  report: RehearsalReport;
  holder: unknown;
  history: Record<string, unknown>[];
}

/** Rehearse one deployment and read the lock and history at its end. */
export async function run(options: DeploymentRehearsalOptions, arrange?: Parameters<typeof rehearseDeployment>[1]): Promise<MatrixRun> {
  let table: { holder: unknown; history: Record<string, unknown>[] } = { holder: undefined, history: [] };
  const { report } = await rehearseDeployment(options, async (rehearsal) => {
    await arrange?.(rehearsal);
    return async () => {
      table = await tableState(options.service);
    };
  });
  return { report, ...table };
}

/** The snapshot without the services and listeners of other config entries. */
export function only(snapshot: Snapshot, keys: { services: string[]; listeners: string[] }): Snapshot {
  return {
    services: Object.fromEntries(Object.entries(snapshot.services).filter(([k]) => keys.services.includes(k))),
    listeners: Object.fromEntries(Object.entries(snapshot.listeners).filter(([k]) => keys.listeners.includes(k))),
  };
}

const paths = new Map<string, Promise<string[]>>();

/** The states a successful rehearsal of `service` passes through (rehearsed once per test file). */
export function successPath(config: DeployerConfig, service: string, image: string): Promise<string[]> {
  let path = paths.get(service);
  if (path === undefined) {
    path = run({ config, service, image }).then(({ report }) => {
      if (report.status !== 'SUCCEEDED') throw new Error(`the success rehearsal of ${service} ended ${report.status}: ${report.error?.cause ?? ''}`);
      return report.states;
    });
    paths.set(service, path);
  }
  return path;
}
