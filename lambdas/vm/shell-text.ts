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

/** Exit status of the loader when the release script cannot be fetched or is not the expected one (EX_SOFTWARE-like, not one of the script's). */
export const LOADER_FAILED_STATUS = 70;

/**
 * A POSIX sh command that downloads the release script from `scriptUrl`
 * (a presigned S3 URL), checks its sha256 and runs it in bash with `env`,
 * as {@link bashCommandForSh} runs a script it carries: for SSM, whose
 * command parameters should stay small. Nothing runs unless the download
 * is the exact script the deployer shipped; the downloaded copy is deleted
 * before the script starts (bash reads it from the still open file, as
 * `bash -s` reads a carried script from its here-document).
 */
export function bashCommandFetchingScript(scriptUrl: string, sha256: string, env: Readonly<Record<string, string>>): string {
  if (!/^[a-f0-9]{64}$/.test(sha256)) throw new TypeError('the release script sha256 must be 64 lowercase hex digits');
  const loader = [
    `deployer_script=$(mktemp "\${TMPDIR:-/tmp}/deployer-release.XXXXXXXX") || { echo 'deployer: cannot create a file for the release script' >&2; exit ${LOADER_FAILED_STATUS}; }`,
    `if ! curl -fsS -L --proto '=https,file' --proto-redir '=https' --connect-timeout 30 --max-time 300 --retry 3 -o "$deployer_script" -- ${shellQuote(scriptUrl)} </dev/null; then`,
    `  rm -f -- "$deployer_script"; echo 'deployer: the release script could not be downloaded from S3 (curl failed; nothing was changed)' >&2; exit ${LOADER_FAILED_STATUS}`,
    'fi',
    `if [ "$(sha256sum -- "$deployer_script" | cut -c1-64)" != ${shellQuote(sha256)} ]; then`,
    `  rm -f -- "$deployer_script"; echo 'deployer: the release script downloaded from S3 is not the one this deployer ships (sha256 mismatch; nothing was changed)' >&2; exit ${LOADER_FAILED_STATUS}`,
    'fi',
    '{ rm -f -- "$deployer_script"; exec bash -s; } <"$deployer_script"',
    '',
  ].join('\n');
  const doc = hereDocument(`${exportLines(env)}${loader}`);
  return `exec bash -s ${doc.body}`;
}
