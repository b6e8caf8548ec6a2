/**
 * The `export NAME='value'` lines a release command carries (see
 * `exportLines` in lambdas/vm/shell-text.ts), read back by the simulated
 * hosts: to model a run, or to run the command with a local host's values.
 */
import { exportLines } from '../../lambdas/vm/shell-text.ts';

const EXPORT = /^export ([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$/gm;

/** The variables the `export NAME='value'` lines of a command text set. */
export function exportedVariables(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(EXPORT)) env[match[1]!] = match[2]!.replaceAll(`'\\''`, "'");
  return env;
}

/**
 * The command's text with `env` in place of its exports: the rest (the
 * loader that downloads the release script from S3, checks and runs it)
 * runs as sent.
 */
export function withExports(text: string, env: Readonly<Record<string, string>>): string {
  const firstExport = text.search(/^export /m);
  if (firstExport < 0) throw new Error('the command sets no variables: not a release command');
  const rest = text.slice(firstExport).replace(new RegExp(`${EXPORT.source}\\n`, 'gm'), '');
  return `${text.slice(0, firstExport)}${exportLines(env)}${rest}`;
}
