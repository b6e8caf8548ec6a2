/**
 * Shell text the executors send to a host: values are never part of a command
 * line (where `ps` shows them and a login shell parses them), only of the
 * script bash reads, single-quoted so that no value can end its quotes.
 */
import { randomBytes } from 'node:crypto';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `value` as one single-quoted bash word: `it's` -> `'it'\''s'`. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell value cannot contain a NUL character');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME='value'` lines for bash, one per variable. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!ENV_NAME.test(name)) throw new TypeError(`'${name}' is not a valid environment variable name`);
      return `export ${name}=${shellQuote(value)}\n`;
    })
    .join('');
}

/**
 * What `bash -s` reads to run `script` with `env`: the exports, then the
 * script. The release script parses itself whole before it runs anything, so
 * nothing it starts reads the rest of it from stdin.
 */
export function scriptWithEnvironment(script: string, env: Readonly<Record<string, string>>): string {
  return `${exportLines(env)}${script.endsWith('\n') ? script : `${script}\n`}`;
}

/**
 * A here-document carrying `text` verbatim: its delimiter is quoted (nothing
 * inside is expanded) and random, and checked not to occur in the text.
 */
export function hereDocument(text: string): { delimiter: string; body: string } {
  for (;;) {
    const delimiter = `DEPLOYER_EOF_${randomBytes(8).toString('hex')}`;
    if (!text.includes(delimiter)) {
      return { delimiter, body: `<<'${delimiter}'\n${text.endsWith('\n') ? text : `${text}\n`}${delimiter}\n` };
    }
  }
}

/**
 * A POSIX sh command that runs `script` with `env` in bash: for a runner that
 * gives its commands to `sh` (SSM's AWS-RunShellScript).
 */
export function bashCommandForSh(script: string, env: Readonly<Record<string, string>>): string {
  const doc = hereDocument(scriptWithEnvironment(script, env));
  return `exec bash -s ${doc.body}`;
}
