#!/usr/bin/env node
// `npm test`: type-check, lint (ESLint + dependency-cruiser's import rules), the Node suite (vitest on Dawn
// WebGPU), then the browser suite (Playwright in Debian's Chromium). Every stage runs even if an earlier one failed;
// the closing line counts every test of both suites (a failed type-check or lint stage counts as one failure).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { countTests } from './test-summary.mjs';

mkdirSync('test-results', { recursive: true });
for (const f of ['test-results/vitest.json', 'test-results/e2e.json']) rmSync(f, { force: true });
const extra = process.argv.slice(2);

function run(label, cmd, args) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  return r.status === 0;
}

const typesOk = run('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
const lintOk = run('lint', 'npm', ['run', '--silent', 'lint']);
const nodeOk = run('node suite', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json', ...extra]);
const e2eOk = run('browser suite', 'npx', ['playwright', 'test']);

const { passed, failed: testsFailed, skipped, failures } = countTests({ nodeOk, e2eOk });
let failed = testsFailed;
if (failures.length) console.log(`\nfailed tests:\n${failures.join('\n')}`);
if (!typesOk) failed += 1;
if (!lintOk) failed += 1;
// Skips would hide missing coverage: they count as failures here.
const ok = typesOk && lintOk && nodeOk && e2eOk && failed === 0 && skipped === 0 && passed > 0;
console.log(`\ntests: ${passed} passed, ${failed + skipped} failed`);
if (skipped) console.log(`(${skipped} skipped tests are counted as failures: nothing may be skipped)`);
process.exit(ok ? 0 : 1);
