/**
 * `npm run asl`: compose every strategy's state machine from
 * statemachines/parts/ and write statemachines/<strategy>.asl.json, the
 * files CDK deploys and the rehearsal runs. `--check` writes nothing and
 * exits 1 when a committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fromRepoRoot } from '../repo-root.ts';
import { ALL_STRATEGY_FILES, composedPath, composedText } from './compose.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const name of ALL_STRATEGY_FILES) {
  const file = fromRepoRoot(composedPath(name));
  const text = composedText(name);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not written yet
  }
  if (current === text) continue;
  stale += 1;
  if (check) process.stderr.write(`${composedPath(name)} is out of date: run npm run asl\n`);
  else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${composedPath(name)}\n`);
  }
}
process.exitCode = check && stale > 0 ? 1 : 0;
