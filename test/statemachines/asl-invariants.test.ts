/**
 * The ASL files themselves, every strategy's. CDK ships them as assets, so
 * template assertions cannot see their states: these tests read the files,
 * and run over every file of `ALL_STRATEGY_FILES`, ECS and VM (a new strategy is covered
 * without a new test).
 */
import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ALL_STRATEGY_FILES, composedPath, composedText, invokesLambda, TRANSIENT_RETRY } from '../../infra/asl/compose.ts';
import { fromRepoRoot } from '../../infra/repo-root.ts';
import { LOCK_RECHECK_SECONDS, MAX_WORST_CASE_SECONDS } from '../../lambdas/shared/budget.ts';
import { HANDLER_ERROR_NAMES } from '../../lambdas/shared/errors.ts';
import { OUTCOME_ERRORS } from '../../lambdas/shared/outcome.ts';
import { ALL_FUNCTIONS, functionTimeoutSeconds, STATE_MACHINE_FUNCTIONS, placeholderFor, type StateMachineFunctionKey } from '../../lambdas/registry.ts';
import { placeholdersIn, type AslDefinition, type AslState } from '../../simulator/asl.ts';

/** Names of the states a state can go to next (Next, Default, Choices, Catch). */
function successors(state: AslState): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) out.push(choice.Next);
  for (const c of (state.Catch as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  return out;
}

/** The Lambda placeholder a Task calls (`Resource`, or `Parameters.FunctionName` for an integration). */
function functionOf(state: AslState): string | undefined {
  const params = state.Parameters as { FunctionName?: unknown } | undefined;
  const named = typeof params?.FunctionName === 'string' ? params.FunctionName : state.Resource;
  return typeof named === 'string' ? /^\$\{([A-Za-z]+)FunctionArn\}$/.exec(named)?.[1] : undefined;
}

const terminal = (s: AslState): boolean => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;

/** The states of a Map's iteration (the VM batches), named `Map/State`, with the Map they run in. */
function iterationStates(states: [string, AslState][]): [string, AslState, AslState][] {
  return states.flatMap(([mapName, map]) => {
    if (map.Type !== 'Map') return [];
    const inner = ((map.ItemProcessor as { States?: Record<string, AslState> } | undefined)?.States ?? {});
    return Object.entries(inner).map(([name, state]): [string, AslState, AslState] => [`${mapName}/${name}`, state, map]);
  });
}

describe.each([...ALL_STRATEGY_FILES])('statemachines/%s.asl.json', (name) => {
  const text = readFileSync(fromRepoRoot(composedPath(name)), 'utf8');
  const substituted = text.replace(/\$\{(\w+)\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:$1');
  const definition = JSON.parse(substituted) as AslDefinition;
  const raw = JSON.parse(text) as AslDefinition;
  const topLevel = Object.entries(raw.States);
  const inIterations = iterationStates(topLevel);
  // Every state, the Maps' iterations included: the invariants hold inside a Map too.
  const states: [string, AslState][] = [...topLevel, ...inIterations.map(([n, s]): [string, AslState] => [n, s])];
  const tasks = states.filter(([, s]) => s.Type === 'Task');

  it('is exactly what its parts compose to (npm run asl)', () => {
    expect(text).toBe(composedText(name));
  });

  it('is valid Amazon States Language once its placeholders are substituted', () => {
    // Act
    const result = aslValidator(definition);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only (the local interpreter has no JSONata or Variables)', () => {
    expect(raw.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [stateName, state] of states) {
      expect(state.QueryLanguage ?? 'JSONPath', stateName).toBe('JSONPath');
      expect(state.Assign, stateName).toBeUndefined();
    }
  });

  it('names only Lambdas of the registry, and substitutes nothing but function ARNs', () => {
    const known = Object.keys(STATE_MACHINE_FUNCTIONS).map((k) => placeholderFor(k as StateMachineFunctionKey));
    for (const placeholder of placeholdersIn(text)) expect(known).toContain(placeholder);
    for (const [stateName, state] of states) {
      const { Resource, Parameters, ItemProcessor, ...rest } = state;
      void ItemProcessor;
      expect(placeholdersIn(JSON.stringify(rest)), stateName).toEqual([]);
      const { FunctionName, ...params } = (Parameters ?? {}) as Record<string, unknown>;
      expect(placeholdersIn(JSON.stringify(params)), stateName).toEqual([]);
      if (state.Type === 'Task') expect(functionOf(state), `${stateName} calls a deployer Lambda`).toBeDefined();
      void Resource;
      void FunctionName;
    }
  });

  it('retries transient AWS and Lambda errors with the one shared policy on every Task, and nothing else', () => {
    for (const [stateName, task] of tasks) {
      expect(invokesLambda(task), stateName).toBe(true);
      const retry = task.Retry ?? [];
      expect(retry[0], stateName).toEqual(TRANSIENT_RETRY);
      for (const r of retry) {
        // A deployment failure must never be retried into a second rollout.
        expect(r.ErrorEquals, stateName).not.toContain('States.ALL');
        for (const error of r.ErrorEquals) {
          if (!error.startsWith('Lambda.') && error !== 'Sandbox.Timedout') expect(HANDLER_ERROR_NAMES, `${stateName}: ${error}`).toContain(error);
        }
      }
    }
  });

  it("gives every Lambda Task longer than its function's own timeout, so the function's timeout is what fires (and is retried)", () => {
    for (const [stateName, task] of tasks) {
      const key = functionOf(task) as keyof typeof ALL_FUNCTIONS;
      if (task.Resource !== '${' + key + 'FunctionArn}') continue;
      expect(task.TimeoutSeconds, stateName).toBeGreaterThan(functionTimeoutSeconds(ALL_FUNCTIONS[key]));
    }
  });

  it('catches every failure of every Task (inside a Map: the Map catches it)', () => {
    const catchesAll = (s: AslState): boolean => ((s.Catch as { ErrorEquals: string[] }[] | undefined) ?? []).some((c) => c.ErrorEquals.includes('States.ALL'));
    for (const [stateName, task] of topLevel.filter(([, s]) => s.Type === 'Task' || s.Type === 'Map')) {
      expect(catchesAll(task), `${stateName} has a States.ALL catcher`).toBe(true);
    }
    for (const [stateName, task, map] of inIterations.filter(([, s]) => s.Type === 'Task')) {
      expect(catchesAll(map), `${stateName}: its Map has a States.ALL catcher`).toBe(true);
    }
  });

  it('runs the batches of a Map one at a time, and keeps no iteration output in the state', () => {
    for (const [stateName, map] of topLevel.filter(([, s]) => s.Type === 'Map')) {
      expect(map.MaxConcurrency, stateName).toBe(1);
      expect(map.ResultPath, stateName).toBeNull();
    }
  });

  it('releases the lock on every path that can hold it, and records how it ended', () => {
    const releases = new Set(tasks.filter(([, t]) => functionOf(t) === 'ReleaseLock').map(([n]) => n));
    const escaping: string[] = [];
    const unrecorded: string[] = [];
    const visit = (stateName: string, path: string[], recorded: boolean): void => {
      if (path.includes(stateName)) return;
      const state = raw.States[stateName]!;
      if (releases.has(stateName)) {
        if (!recorded) unrecorded.push([...path, stateName].join(' -> '));
        return;
      }
      if (terminal(state)) {
        escaping.push([...path, stateName].join(' -> '));
        return;
      }
      const records = functionOf(state) === 'RecordEvent' || state.Type === 'Pass' && /Outcome$/.test(stateName);
      for (const next of successors(state)) visit(next, [...path, stateName], recorded || records);
    };
    // From the moment the lock is taken, and from the moment a restore run holds it.
    const afterLock = (raw.States['LockAcquired?']!.Choices as { Variable: string; StringEquals: string; Next: string }[]).find(
      (c) => c.StringEquals === 'ACQUIRED',
    )!.Next;
    visit(afterLock, ['LockAcquired?'], false);
    visit(raw.States.LoadRestore!.Next as string, ['LoadRestore'], false);

    expect(escaping).toEqual([]);
    expect(unrecorded).toEqual([]);
  });

  it('ends every failure in a Fail state whose Error tells the outcome', () => {
    const fails = states.filter(([, s]) => s.Type === 'Fail');
    for (const [stateName, fail] of fails) {
      expect(fail.CausePath ?? fail.Cause, stateName).toBeDefined();
      expect(fail.ErrorPath ?? fail.Error, stateName).toBeDefined();
    }
    expect(raw.States.RolledBack).toMatchObject({ Type: 'Fail', Error: 'RolledBack' });
    expect(raw.States.Superseded).toMatchObject({ Type: 'Fail', Error: 'Superseded' });
    expect(Object.keys(OUTCOME_ERRORS)).toEqual(expect.arrayContaining(['RolledBack', 'Superseded', 'InvalidInput']));
  });

  it('never rolls back once success is recorded', () => {
    const reachable = new Set<string>();
    const walk = (stateName: string): void => {
      if (reachable.has(stateName)) return;
      reachable.add(stateName);
      for (const next of successors(raw.States[stateName]!)) walk(next);
    };
    walk('RecordSuccess');
    expect([...reachable].sort()).toEqual(['Deployed', 'RecordSuccess', 'ReleaseLock']);
  });

  it('times out only after the longest wait for the lock plus the longest deployment the config allows', () => {
    // The clock runs from the start: a deployment may first wait for one that holds the lock, then run its own.
    expect(raw.TimeoutSeconds).toBeGreaterThanOrEqual(2 * MAX_WORST_CASE_SECONDS + 6 * 3600);
  });

  it('waits for the lock on a task token, re-checking as often as the history budget assumes', () => {
    const wait = raw.States.WaitForLock!;
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.TimeoutSeconds).toBe(LOCK_RECHECK_SECONDS);
    expect(wait.Catch).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: 'AcquireLock' })]));
  });

  it('has no unreachable state', () => {
    const reached = new Set<string>();
    const walk = (stateName: string): void => {
      if (reached.has(stateName)) return;
      reached.add(stateName);
      for (const next of successors(raw.States[stateName]!)) walk(next);
    };
    walk(raw.StartAt);
    expect(topLevel.map(([n]) => n).filter((n) => !reached.has(n))).toEqual([]);
    for (const [mapName, map] of topLevel.filter(([, s]) => s.Type === 'Map')) {
      const processor = map.ItemProcessor as { StartAt: string; States: Record<string, AslState> };
      const inner = new Set<string>();
      const walkInner = (stateName: string): void => {
        if (inner.has(stateName)) return;
        inner.add(stateName);
        for (const next of successors(processor.States[stateName]!)) walkInner(next);
      };
      walkInner(processor.StartAt);
      expect(Object.keys(processor.States).filter((n) => !inner.has(n)), mapName).toEqual([]);
    }
  });
});
