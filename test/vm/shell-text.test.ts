/**
 * What executors send to a host's bash: values arrive in the script exactly
 * as given, and none can end its quotes and run something.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bashCommandForSh, exportLines, hereDocument, scriptWithEnvironment, shellQuote } from '../../lambdas/vm/shell-text.ts';
import { runBashScript } from '../../simulator/vm/local-host.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'deployer-shell-'));
const marker = path.join(dir, 'pwned');
const HOSTILE = [
  `'; touch ${marker}; '`,
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `"; touch ${marker}; "`,
  `line1\nline2\n'\ntouch ${marker}\n`,
  `\\'\\\\' $HOME !! & | ; < > *`,
  '',
];

describe('shell text for hosts', () => {
  it.each(HOSTILE.map((v) => [v]))('exports %j to the script unchanged, running nothing', async (value) => {
    // Prepare
    const script = scriptWithEnvironment('printf "%s" "$VALUE"', { VALUE: value });

    // Act
    const run = await runBashScript(script);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.outcome.tail).toBe(value);
    expect(existsSync(marker)).toBe(false);
  });

  it('gives sh a command that runs the script in bash, even when it contains a would-be delimiter', async () => {
    // Prepare
    const script = `echo "$BASH_VERSION" | cut -c1 >/dev/null && printf '%s\\n' "$A"\n# DEPLOYER_EOF_ is not the delimiter\n`;

    // Act
    const run = await runBashScript(`sh -c ${shellQuote(bashCommandForSh(script, { A: `x'y` }))}\n`);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.outcome.tail).toBe(`x'y\n`);
  });

  it('picks a here-document delimiter that does not occur in the text', () => {
    // Prepare
    const text = 'DEPLOYER_EOF_0000000000000000\nbody';

    // Act
    const doc = hereDocument(text);

    // Assess
    expect(text).not.toContain(doc.delimiter);
    expect(doc.body).toBe(`<<'${doc.delimiter}'\n${text}\n${doc.delimiter}\n`);
  });

  it('refuses names that are not environment variable names, and NUL characters', () => {
    // Prepare
    const badName = { 'A;touch x': 'v' };
    const nul = { A: 'a\0b' };

    // Act
    const refuse = [() => exportLines(badName), () => exportLines(nul)];

    // Assess
    expect(refuse[0]).toThrow("'A;touch x' is not a valid environment variable name");
    expect(refuse[1]).toThrow('NUL');
  });
});
