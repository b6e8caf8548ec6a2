/**
 * Reading the release script's output: phases reached, the result line, and a
 * bounded tail, from a stream or from the tail SSM returns.
 */
import { describe, expect, it } from 'vitest';
import { parseReleaseOutput, releaseVerdict, ReleaseOutputCollector, utf8Tail } from '../../lambdas/vm/release-result.ts';

const RESULT = 'DEPLOYER_RESULT {"status":"ROLLED_BACK","phase":"health","previous":"v2","current":"v2","message":"the health check failed 3 times; back on v2","mode":"deploy","version":"v3"}';
const OUTPUT = [
  'DEPLOYER_PHASE validate',
  'DEPLOYER_PHASE preflight',
  '  current release: v2',
  'DEPLOYER_PHASE stop',
  'DEPLOYER_PHASE health',
  '  health: HTTP 503',
  'DEPLOYER_PHASE rollback',
  'DEPLOYER_ROLLED_BACK v2',
  RESULT,
  '',
].join('\n');

describe('release script output', () => {
  it('gives the phases reached, the restored release and the result', () => {
    // Prepare
    const output = OUTPUT;

    // Act
    const outcome = parseReleaseOutput(output);

    // Assess
    expect(outcome.phases.map((p) => p.name)).toEqual(['validate', 'preflight', 'stop', 'health', 'rollback']);
    expect(outcome.rolledBackTo).toBe('v2');
    expect(outcome.result).toEqual({ status: 'ROLLED_BACK', phase: 'health', previous: 'v2', current: 'v2', message: 'the health check failed 3 times; back on v2', mode: 'deploy', version: 'v3' });
    expect(outcome.tail).toBe(output);
    expect(outcome.truncated).toBe(false);
  });

  it('reads markers split across chunks, and times each phase as it streams', () => {
    // Prepare
    let now = 1_000;
    const collector = new ReleaseOutputCollector(64, () => now);
    const chunks = OUTPUT.match(/[\s\S]{1,7}/g)!;

    // Act
    for (const chunk of chunks) {
      now += 10;
      collector.push(Buffer.from(chunk));
    }
    const outcome = collector.finish();

    // Assess
    expect(outcome.result?.status).toBe('ROLLED_BACK');
    expect(outcome.phases.map((p) => p.name)).toHaveLength(5);
    expect(outcome.phases.every((p, i, all) => p.atMs! > 0 && (i === 0 || p.atMs! >= all[i - 1]!.atMs!))).toBe(true);
    expect(Buffer.byteLength(outcome.tail)).toBeLessThanOrEqual(64);
    expect(outcome.truncated).toBe(true);
  });

  it('keeps at most the tail bytes, cut on a whole UTF-8 character', () => {
    // Prepare
    const text = `${'é'.repeat(100)}\nlast line ✓\n`;

    // Act
    const outcome = parseReleaseOutput(text, 21);
    const cut = utf8Tail(Buffer.from('aé'), 1);

    // Assess
    expect(Buffer.byteLength(outcome.tail)).toBeLessThanOrEqual(21);
    expect(outcome.tail).toMatch(/^é+\nlast line ✓\n$/);
    expect(outcome.tail).not.toContain('\uFFFD');
    expect(cut.length).toBe(0);
  });

  it('reads the result from a tail whose beginning was cut, as SSM returns long output', () => {
    // Prepare
    const cutOutput = OUTPUT.slice(OUTPUT.indexOf('h: HTTP 503'));

    // Act
    const outcome = parseReleaseOutput(cutOutput);

    // Assess
    expect(outcome.phases.map((p) => p.name)).toEqual(['rollback']);
    expect(outcome.result?.phase).toBe('health');
  });

  it('ignores a malformed result line and lines that only look like markers', () => {
    // Prepare
    const output = 'DEPLOYER_RESULT {"status":"SUCC\n  DEPLOYER_PHASE indented\nDEPLOYER_RESULT {"status":"MAYBE","phase":"x","previous":"","current":"","message":""}\n';

    // Act
    const outcome = parseReleaseOutput(output);

    // Assess
    expect(outcome.result).toBeUndefined();
    expect(outcome.phases).toEqual([]);
  });

  it('says how far a script got when it printed no result', () => {
    // Prepare
    const outcome = parseReleaseOutput('DEPLOYER_PHASE validate\nDEPLOYER_PHASE preflight\nDEPLOYER_PHASE download\n');

    // Act
    const killed = releaseVerdict(null, outcome);
    const exited = releaseVerdict(137, outcome);

    // Assess
    expect(killed).toMatchObject({ status: 'FAILED', phase: 'download', message: 'the release script was killed in phase download and printed no result' });
    expect(exited.message).toBe('the release script exited 137 in phase download and printed no result');
  });

  it("quotes the last line a script that printed no result wrote (the SSM loader's refusal, a shell error)", () => {
    // Prepare
    const outcome = parseReleaseOutput("deployer: the release script downloaded from S3 is not the one this deployer ships (sha256 mismatch; nothing was changed)\n");

    // Act
    const verdict = releaseVerdict(70, outcome);

    // Assess
    expect(verdict).toMatchObject({ status: 'FAILED', phase: '' });
    expect(verdict.message).toBe(
      'the release script exited 70 and printed no result: deployer: the release script downloaded from S3 is not the one this deployer ships (sha256 mismatch; nothing was changed)',
    );
  });

  it('does not keep a huge line, and still reads the lines after it', () => {
    // Prepare
    const output = `${'x'.repeat(200_000)}\nDEPLOYER_PHASE cleanup\n${RESULT}`;

    // Act
    const outcome = parseReleaseOutput(output, 1024);

    // Assess
    expect(outcome.phases.map((p) => p.name)).toEqual(['cleanup']);
    expect(outcome.result?.status).toBe('ROLLED_BACK');
    expect(Buffer.byteLength(outcome.tail)).toBeLessThanOrEqual(1024);
  });
});
