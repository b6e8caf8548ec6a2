/**
 * The exact command lines a person types next (`deployer status web`,
 * `deployer approve web`), carrying the --config, --stack and --region
 * that were given so they act on the same deployer.
 */
import { DEFAULT_STACK_NAME } from '../aws/installed-stack.ts';
import type { CommonOptions } from './operator-context.ts';

/** Quote an argument for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `deployer <verb> <service> [extra...]` plus the non-default options in use. */
export function commandLine(options: CommonOptions, verb: string, service: string, ...extra: string[]): string {
  const words = ['deployer', verb, service, ...extra];
  if (options.config !== undefined) words.push('--config', shellWord(options.config));
  if (options.stack !== DEFAULT_STACK_NAME) words.push('--stack', shellWord(options.stack));
  if (options.region !== undefined) words.push('--region', options.region);
  return words.join(' ');
}
