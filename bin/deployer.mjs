#!/usr/bin/env node
// Entry point of the `deployer` command. The CLI is TypeScript, run through
// tsx so a checkout works without a build step.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(
    `deployer needs Node.js 22 or newer (this is ${process.version}). Run it through npm (npx deployer ...), ` +
      'which uses the Node.js 24 installed in node_modules by `npm ci`.',
  );
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
// `deployer ... | head`: a reader that closes early ends the command quietly.
const { exitQuietlyOnBrokenPipe } = await import('./cli/broken-pipe.ts');
exitQuietlyOnBrokenPipe(process.stdout);
exitQuietlyOnBrokenPipe(process.stderr);
// Always run main(): under npx, argv[1] is node_modules/.bin/deployer, so the
// CLI module must not guess from argv whether it was invoked directly.
const { main } = await import('./deployer.ts');
process.exitCode = await main(process.argv.slice(2));
