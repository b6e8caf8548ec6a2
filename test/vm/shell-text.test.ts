/**
 * What executors send to a host's bash: values arrive in the script exactly
 * as given, and none can end its quotes and run something.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  bashCommandFetchingScript,
  bashCommandForSh,
  exportLines,
  hereDocument,
  LOADER_FAILED_STATUS,
  scriptWithEnvironment,
  shellQuote,
} from '../../lambdas/vm/shell-text.ts';
import { hostEnvironment, runBashScript } from '../../simulator/vm/local-host.ts';

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

  describe('a command that fetches the script (SSM)', () => {
    const script = `printf 'ran with A=%s from %s\\n' "$A" "$0"\ntouch ${JSON.stringify(path.join(dir, 'script-ran'))}\n`;
    const scriptFile = path.join(dir, 'release.sh');
    writeFileSync(scriptFile, script);
    const sha256 = createHash('sha256').update(script).digest('hex');
    const ran = path.join(dir, 'script-ran');
    beforeEach(() => rmSync(ran, { force: true }));

    /** Run a loader command as SSM's agent does (sh, stdin closed) with its own TMPDIR. */
    async function runLoader(url: string, expectedSha: string): Promise<{ exitCode: number | null; tail: string; leftInTmp: string[] }> {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'deployer-loader-'));
      const command = bashCommandFetchingScript(url, expectedSha, { A: `x'y` });
      const run = await runBashScript(`sh -c ${shellQuote(command)} </dev/null\n`, { env: { ...hostEnvironment(), TMPDIR: tmp } });
      return { exitCode: run.exitCode, tail: run.outcome.tail, leftInTmp: readdirSync(tmp) };
    }

    it('downloads the script, checks its sha256 and runs it with the exports, leaving no copy behind', async () => {
      // Act
      const run = await runLoader(pathToFileURL(scriptFile).href, sha256);

      // Assess
      expect(run.exitCode).toBe(0);
      expect(run.tail).toBe(`ran with A=x'y from bash\n`);
      expect(run.leftInTmp).toEqual([]);
    });

    it('runs nothing when the downloaded script is not the one the deployer ships', async () => {
      // Act
      const run = await runLoader(pathToFileURL(scriptFile).href, 'f'.repeat(64));

      // Assess
      expect(run.exitCode).toBe(LOADER_FAILED_STATUS);
      expect(run.tail).toContain('sha256 mismatch; nothing was changed');
      expect(existsSync(ran)).toBe(false);
      expect(run.leftInTmp).toEqual([]);
    });

    it('fails with a message when the script cannot be downloaded', async () => {
      // Act
      const run = await runLoader(pathToFileURL(path.join(dir, 'no-such-script.sh')).href, sha256);

      // Assess
      expect(run.exitCode).toBe(LOADER_FAILED_STATUS);
      expect(run.tail).toContain('the release script could not be downloaded from S3');
      expect(existsSync(ran)).toBe(false);
    });

    it('refuses an expected sha256 that is not 64 lowercase hex digits (nothing to compare against)', () => {
      expect(() => bashCommandFetchingScript('https://example.com/x', 'F'.repeat(64), {})).toThrow('64 lowercase hex digits');
    });
  });
});
