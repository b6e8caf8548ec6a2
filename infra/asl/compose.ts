/**
 * Builds each strategy's state machine from two readable parts:
 *
 * - `statemachines/parts/envelope.json`: what every deployment does around
 *   its strategy (validate the input, take the lock or wait, record the
 *   start, success, rollback or failure, release the lock, end with an
 *   outcome), and the restore run the watcher starts after a stop;
 * - `statemachines/parts/<strategy>.json`: only the strategy's own steps,
 *   in three sections: `Snapshot` (read what a rollback returns to),
 *   `Deploy` and `Rollback`.
 *
 * Sections and envelope refer to each other through `@` names:
 * the envelope jumps to `@Snapshot`, `@Deploy`, `@Rollback` (each section's
 * StartAt); a section ends at `@Snapshotted`, `@Succeeded` or `@RolledBack`.
 *
 * The composer adds what every Task needs, so no part repeats it: the
 * retry policy for transient AWS and Lambda errors ({@link TRANSIENT_RETRY}),
 * a `TimeoutSeconds` above the function's own, and the section's catch-all (a failure while
 * taking the snapshot is recorded as FAILED with nothing changed; one while
 * deploying rolls back; one while rolling back is recorded as a failed
 * rollback). A part's own Catch entries come first.
 *
 * The result is committed as `statemachines/<strategy>.asl.json`: that file
 * is what CDK deploys and the rehearsal runs; a test fails when it is not
 * what the parts compose to (`npm run asl` rewrites it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_FUNCTIONS, DEFAULT_FUNCTION_TIMEOUT_SECONDS, functionTimeoutSeconds, type FunctionSpec } from '../../lambdas/registry.ts';
import { fromRepoRoot } from '../repo-root.ts';

/** A state as written in a part: free-form ASL. */
export type AslStateJson = Record<string, unknown> & { Type: string };

interface Section {
  StartAt: string;
  States: Record<string, AslStateJson>;
}

/** A strategy part: its three sections. */
export interface StrategyPart {
  Comment: string;
  Snapshot: Section;
  Deploy: Section;
  Rollback: Section;
}

/** The envelope part: a complete state machine but for the `@` references. */
export interface EnvelopePart {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslStateJson>;
}

/** A composed state machine, as committed and deployed. */
export interface ComposedDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslStateJson>;
}

/**
 * Errors worth retrying with backoff: what `awsCall` names transient
 * (throttling, 5xx, timeouts) and the Lambda service's own transient errors.
 * A deployment failure is never retried into a second rollout.
 */
export const TRANSIENT_RETRY = {
  ErrorEquals: [
    'TransientAwsError',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    // A function that timed out (Lambda.Unknown, or Sandbox.Timedout on newer runtimes) or an invocation
    // the Lambda service could not finish: every handler can be called again, so try again rather than roll back.
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.Unknown',
    'Sandbox.Timedout',
  ],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
} as const;

/** How much longer a Task waits than its function's own timeout (so the function's timeout is what fires). */
export const TASK_TIMEOUT_MARGIN_SECONDS = 30;

/** The Task timeout of a state calling `${<Key>FunctionArn}`: the function's timeout plus a margin. */
function taskTimeoutOf(state: AslStateJson): number {
  const key = /^\$\{([A-Za-z]+)FunctionArn\}$/.exec(String(state.Resource))?.[1];
  const spec = key === undefined ? undefined : (ALL_FUNCTIONS as Record<string, FunctionSpec | undefined>)[key];
  return (spec === undefined ? DEFAULT_FUNCTION_TIMEOUT_SECONDS : functionTimeoutSeconds(spec)) + TASK_TIMEOUT_MARGIN_SECONDS;
}

/** The `@` names a strategy may jump to, and the envelope state each one is. */
export const ENVELOPE_ENTRIES = {
  '@Snapshotted': 'RecordStart',
  '@Succeeded': 'RecordSuccess',
  '@RolledBack': 'RollbackComplete?',
} as const;

/** The catch-all each section's Tasks get. */
const SECTION_CATCH = {
  Snapshot: { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' },
  Deploy: { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: '@Rollback' },
  Rollback: { ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackFailure', Next: 'RollbackFailed?' },
} as const;

type SectionName = keyof typeof SECTION_CATCH;
const SECTIONS: SectionName[] = ['Snapshot', 'Deploy', 'Rollback'];

/** Names of the ECS strategies, each with a part and a composed file. */
export const STRATEGY_FILES = {
  rolling: 'ecs-rolling',
  canary: 'ecs-canary',
  'blue-green': 'ecs-blue-green',
} as const;

/** Names of the VM strategies, each with a part and a composed file. */
export const VM_STRATEGY_FILES = {
  rolling: 'vm-rolling',
  canary: 'vm-canary',
  'blue-green': 'vm-blue-green',
} as const;

/** Every composed state machine: `npm run asl` writes them, the invariant tests read them. */
export const ALL_STRATEGY_FILES = [...Object.values(STRATEGY_FILES), ...Object.values(VM_STRATEGY_FILES)] as const;
export type StrategyFileName = (typeof ALL_STRATEGY_FILES)[number];

const PARTS_DIR = 'statemachines/parts';

/** True for a Task that invokes a Lambda (directly or through the lambda:invoke integration). */
export function invokesLambda(state: AslStateJson): boolean {
  const resource = state.Resource;
  if (typeof resource !== 'string') return false;
  return /^\$\{[A-Za-z]+FunctionArn\}$/.test(resource) || resource.startsWith('arn:aws:states:::lambda:invoke');
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(fromRepoRoot(file), 'utf8')) as T;
}

/** Replace `@` references in every Next/Default/StartAt/Catch of a state. */
function resolveReferences(state: AslStateJson, resolve: (name: string) => string): AslStateJson {
  const out: AslStateJson = { ...state };
  if (typeof out.Next === 'string') out.Next = resolve(out.Next);
  if (typeof out.Default === 'string') out.Default = resolve(out.Default);
  if (Array.isArray(out.Choices)) {
    out.Choices = (out.Choices as Record<string, unknown>[]).map((c) => ({ ...c, Next: resolve(String(c.Next)) }));
  }
  if (Array.isArray(out.Catch)) {
    out.Catch = (out.Catch as Record<string, unknown>[]).map((c) => ({ ...c, Next: resolve(String(c.Next)) }));
  }
  return out;
}

/**
 * Add the shared retry, the default timeout and the section's catch-all to a
 * Lambda Task. The Tasks of a Map's iteration get the retry and timeout only:
 * they cannot leave the iteration, so a failure fails the Map, whose own
 * Catch (written in the part) decides.
 */
function completeTask(state: AslStateJson, section: SectionName | 'Envelope' | 'Iteration'): AslStateJson {
  if (state.Type === 'Map') return completeMap(state);
  if (state.Type !== 'Task' || !invokesLambda(state)) return state;
  const own = (state.Retry as Record<string, unknown>[] | undefined) ?? [];
  if (own.some((r) => (r.ErrorEquals as string[]).includes('TransientAwsError'))) {
    throw new Error('a part must not repeat the transient retry policy: the composer adds it');
  }
  const completed: AslStateJson = {
    ...state,
    TimeoutSeconds: state.TimeoutSeconds ?? (state.TimeoutSecondsPath === undefined ? taskTimeoutOf(state) : undefined),
    Retry: [TRANSIENT_RETRY, ...own],
  };
  if (completed.TimeoutSeconds === undefined) delete completed.TimeoutSeconds;
  if (section !== 'Envelope' && section !== 'Iteration') {
    const catches = (state.Catch as Record<string, unknown>[] | undefined) ?? [];
    const catchesAll = catches.some((c) => (c.ErrorEquals as string[]).includes('States.ALL'));
    completed.Catch = catchesAll ? catches : [...catches, SECTION_CATCH[section]];
  }
  return completed;
}

/** A Map state with every Task of its iteration completed. */
function completeMap(state: AslStateJson): AslStateJson {
  const processor = state.ItemProcessor as { States?: Record<string, AslStateJson> } | undefined;
  if (processor?.States === undefined) return state;
  const states = Object.fromEntries(Object.entries(processor.States).map(([name, inner]) => [name, completeTask(inner, 'Iteration')]));
  return { ...state, ItemProcessor: { ...processor, States: states } };
}

/** Compose the envelope with one strategy part. */
export function compose(envelope: EnvelopePart, part: StrategyPart, name: string): ComposedDefinition {
  const states: Record<string, AslStateJson> = {};
  const sectionStarts: Record<string, string> = {};
  for (const section of SECTIONS) sectionStarts[`@${section}`] = part[section].StartAt;
  const resolve = (target: string): string => {
    if (!target.startsWith('@')) return target;
    const resolved =
      sectionStarts[target] ?? (ENVELOPE_ENTRIES as Record<string, string | undefined>)[target];
    if (resolved === undefined) throw new Error(`${name}: unknown reference ${target}`);
    return resolved;
  };
  const add = (stateName: string, state: AslStateJson, section: SectionName | 'Envelope'): void => {
    if (stateName.startsWith('@')) throw new Error(`${name}: a state may not be named ${stateName}`);
    if (states[stateName] !== undefined) throw new Error(`${name}: state ${stateName} is defined twice`);
    states[stateName] = resolveReferences(completeTask(state, section), resolve);
  };
  for (const [stateName, state] of Object.entries(envelope.States)) add(stateName, state, 'Envelope');
  for (const section of SECTIONS) {
    const { StartAt, States } = part[section];
    if (States[StartAt] === undefined) throw new Error(`${name}: ${section}.StartAt ${StartAt} is not one of its states`);
    for (const [stateName, state] of Object.entries(States)) add(stateName, state, section);
  }
  return {
    Comment: `${part.Comment} Generated by \`npm run asl\` from ${PARTS_DIR}/envelope.json and ${PARTS_DIR}/${name}.json: edit those, not this file.`,
    StartAt: resolve(envelope.StartAt),
    TimeoutSeconds: envelope.TimeoutSeconds,
    States: states,
  };
}

/** The envelope part as committed. */
export function readEnvelope(): EnvelopePart {
  return readJson<EnvelopePart>(`${PARTS_DIR}/envelope.json`);
}

/** A strategy part as committed. */
export function readPart(name: StrategyFileName): StrategyPart {
  return readJson<StrategyPart>(`${PARTS_DIR}/${name}.json`);
}

/** The text the composed file of a strategy must have. */
export function composedText(name: StrategyFileName): string {
  return `${JSON.stringify(compose(readEnvelope(), readPart(name), name), null, 2)}\n`;
}

/** Path (relative to the repository root) of a strategy's composed file. */
export function composedPath(name: StrategyFileName): string {
  return path.join('statemachines', `${name}.asl.json`);
}
