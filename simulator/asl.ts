/**
 * Loading the ASL files of `statemachines/` for local execution: the same
 * file CDK deploys, with its `${Placeholder}` substitutions filled in.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type AslState = Record<string, unknown> & { Type: string; Resource?: string; Retry?: AslRetrier[] };
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxAttempts?: number;
  MaxDelaySeconds?: number;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

/** Absolute path of a file in `statemachines/` (or the absolute path given). */
export function stateMachinePath(file: string): string {
  // An absolute path is used as it is (tests run definitions of their own).
  if (path.isAbsolute(file)) return file;
  return fileURLToPath(new URL(`../statemachines/${file}`, import.meta.url));
}

/** Every `${Name}` placeholder used in an ASL text. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
}

/** Read an ASL file and replace its placeholders; an unknown placeholder is an error. */
export function loadDefinition(file: string, substitutions: Record<string, string>): AslDefinition {
  const text = readFileSync(stateMachinePath(file), 'utf8');
  const missing = placeholdersIn(text).filter((p) => substitutions[p] === undefined);
  if (missing.length > 0) throw new Error(`${file}: no substitution for ${missing.map((p) => `\${${p}}`).join(', ')}`);
  return JSON.parse(text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substitutions[name]!)) as AslDefinition;
}

/** Names of the Task states of an ASL file (what `--fail-at` accepts). */
export function taskStateNames(file: string): string[] {
  const text = readFileSync(stateMachinePath(file), 'utf8');
  const definition = JSON.parse(text) as AslDefinition;
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
}

/** Names of every state of an ASL file. */
export function stateNames(file: string): string[] {
  const definition = JSON.parse(readFileSync(stateMachinePath(file), 'utf8')) as AslDefinition;
  return Object.keys(definition.States);
}

/** Names of the states an execution can be stopped at (what `--stop-at` accepts): all but Succeed and Fail. */
export function stoppableStateNames(file: string): string[] {
  const definition = JSON.parse(readFileSync(stateMachinePath(file), 'utf8')) as AslDefinition;
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type !== 'Succeed' && state.Type !== 'Fail')
    .map(([name]) => name);
}
