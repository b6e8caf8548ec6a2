/**
 * The ASL file itself. CDK ships it as an asset, so template assertions
 * cannot see its states: these tests read the file.
 */
import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { EcsServiceSchema } from '../../lambdas/shared/config.ts';
import { HANDLER_ERROR_NAMES } from '../../lambdas/shared/errors.ts';
import { STATE_MACHINE_FUNCTIONS, placeholderFor, type StateMachineFunctionKey } from '../../lambdas/registry.ts';
import { placeholdersIn, stateMachinePath, type AslDefinition, type AslState } from '../../simulator/asl.ts';

const FILE = 'ecs-rolling.asl.json';
const text = readFileSync(stateMachinePath(FILE), 'utf8');
const substituted = text.replace(/\$\{(\w+)\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:$1');
const definition = JSON.parse(substituted) as AslDefinition;
const states = Object.entries(definition.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');

/** Names of the states a state can go to next (Next, Default, Choices, Catch). */
function successors(state: AslState): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) out.push(choice.Next);
  for (const c of (state.Catch as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  return out;
}

describe('statemachines/ecs-rolling.asl.json', () => {
  it('is valid Amazon States Language once its placeholders are substituted', () => {
    // Act
    const result = aslValidator(JSON.parse(substituted));

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only (the local interpreter has no JSONata or Variables)', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [name, state] of states) {
      expect(state.QueryLanguage ?? 'JSONPath', name).toBe('JSONPath');
      expect(state.Assign, name).toBeUndefined();
    }
  });

  it('has a substitution for every placeholder, and each names a Lambda of the registry', () => {
    // Prepare
    const known = Object.keys(STATE_MACHINE_FUNCTIONS).map((k) => placeholderFor(k as StateMachineFunctionKey));

    // Act
    const used = placeholdersIn(text);

    // Assess
    expect(used.length).toBeGreaterThan(0);
    for (const placeholder of used) expect(known).toContain(placeholder);
    // and every state machine function is used by some Task
    for (const placeholder of known) expect(used).toContain(placeholder);
  });

  it('substitutes only Task resources (ARNs), never states, paths or parameters', () => {
    const parsed = JSON.parse(text) as AslDefinition;
    for (const [name, state] of Object.entries(parsed.States)) {
      const { Resource, ...rest } = state;
      expect(placeholdersIn(JSON.stringify(rest)), name).toEqual([]);
      if (Resource !== undefined) expect(Resource, name).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
    }
  });

  it('retries transient AWS and Lambda errors with backoff on every Task', () => {
    for (const [name, task] of tasks) {
      const retry = task.Retry ?? [];
      const transient = retry.find((r) => r.ErrorEquals.includes('TransientAwsError'));
      expect(transient, `${name} retries TransientAwsError`).toBeDefined();
      expect(transient!.ErrorEquals).toContain('Lambda.TooManyRequestsException');
      expect(transient!.BackoffRate ?? 1, name).toBeGreaterThan(1);
      expect(transient!.MaxAttempts ?? 3, name).toBeGreaterThanOrEqual(3);
      // a deployment failure must never be retried into a second rollout
      for (const r of retry) expect(r.ErrorEquals, name).not.toContain('States.ALL');
    }
  });

  it('retries only error names the handlers really throw', () => {
    const lambdaErrors = /^Lambda\./;
    for (const [name, task] of tasks) {
      for (const r of task.Retry ?? []) {
        for (const error of r.ErrorEquals) {
          if (!lambdaErrors.test(error)) expect(HANDLER_ERROR_NAMES, `${name}: ${error}`).toContain(error);
        }
      }
    }
  });

  it('catches every failure of every Task', () => {
    for (const [name, task] of tasks) {
      const catchers = (task.Catch as { ErrorEquals: string[] }[] | undefined) ?? [];
      expect(
        catchers.some((c) => c.ErrorEquals.includes('States.ALL')),
        `${name} has a States.ALL catcher`,
      ).toBe(true);
    }
  });

  it('releases the lock on every path that can hold it', () => {
    // Every path from the moment the lock is acquired to the end of the
    // execution must pass through a ReleaseLock state.
    const releases = new Set(tasks.filter(([, t]) => String(t.Resource).endsWith(':ReleaseLockFunctionArn')).map(([n]) => n));
    expect(releases.size).toBeGreaterThanOrEqual(2);
    const terminal = (s: AslState): boolean => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;
    const escaping: string[] = [];
    const visit = (name: string, path: string[]): void => {
      if (releases.has(name) || path.includes(name)) return;
      const state = definition.States[name]!;
      if (terminal(state)) {
        escaping.push([...path, name].join(' -> '));
        return;
      }
      for (const next of successors(state)) visit(next, [...path, name]);
    };
    // Paths leaving the Choice with the lock in hand.
    visit('DescribeService', ['LockAcquired?']);

    expect(escaping).toEqual([]);
  });

  it('ends every failure in a Fail state whose Error and Cause come from the execution', () => {
    const fails = states.filter(([, s]) => s.Type === 'Fail');
    expect(fails.map(([n]) => n).sort()).toEqual(['DeploymentFailed', 'InputRejected', 'RolledBack', 'Superseded']);
    for (const [name, fail] of fails) {
      expect(fail.CausePath ?? fail.Cause, name).toBeDefined();
      expect(fail.ErrorPath ?? fail.Error, name).toBeDefined();
    }
  });

  it('times out only after the longest wait for the lock plus the longest deployment, so a timeout never cuts a rollout or rollback short', () => {
    // Prepare: the rollout and the rollback each get deploymentTimeoutSeconds; the bake bakeSeconds.
    const max = (field: 'deploymentTimeoutSeconds' | 'bakeSeconds'): number => {
      const value = EcsServiceSchema.shape[field].unwrap().maxValue;
      if (value === null) throw new Error(`${field} has no maximum`);
      return value;
    };
    const longest = 2 * max('deploymentTimeoutSeconds') + max('bakeSeconds');

    // Assess: the clock runs from the start, so a deployment may first wait for the lock
    // behind one that holds it (at most its longest deployment), then run its own; plus a margin.
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(2 * longest + 6 * 3600);
  });

  it('has no unreachable state', () => {
    const reached = new Set<string>();
    const walk = (name: string): void => {
      if (reached.has(name)) return;
      reached.add(name);
      for (const next of successors(definition.States[name]!)) walk(next);
    };
    walk(definition.StartAt);
    expect(states.map(([n]) => n).filter((n) => !reached.has(n))).toEqual([]);
  });
});
