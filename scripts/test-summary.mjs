// The counts of `npm test`'s two suites from their JSON reports, and the names and first error lines of the tests that
// failed: printed last by test-all.mjs, because CI keeps only the tail of a long log.
import { existsSync, readFileSync } from 'node:fs';

export function countTests({ nodeOk, e2eOk, vitestJson = 'test-results/vitest.json', e2eJson = 'test-results/e2e.json' }) {
  let passed = 0, failed = 0, skipped = 0;
  const failures = [];
  const firstLines = (text) => String(text ?? '').split('\n').filter((l) => l.trim()).slice(0, 4).map((l) => `      ${l.slice(0, 300)}`);
  if (existsSync(vitestJson)) {
    const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
    passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + v.numTodoTests;
    for (const file of v.testResults ?? []) {
      const asserts = file.assertionResults ?? [];
      for (const a of asserts) {
        if (a.status === 'failed') failures.push(`  node: ${file.name} › ${a.fullName}`, ...firstLines(a.failureMessages?.join('\n')));
      }
      if (file.status === 'failed' && !asserts.some((a) => a.status === 'failed')) {
        failures.push(`  node: ${file.name} (the file failed outside its tests)`, ...firstLines(file.message));
      }
    }
  } else if (!nodeOk) failed += 1;
  if (existsSync(e2eJson)) {
    const report = JSON.parse(readFileSync(e2eJson, 'utf8'));
    const s = report.stats;
    passed += s.expected + s.flaky; failed += s.unexpected; skipped += s.skipped;
    const walk = (suite, trail) => {
      for (const spec of suite.specs ?? []) {
        for (const t of spec.tests ?? []) {
          if (t.status !== 'unexpected') continue;
          const last = t.results?.[t.results.length - 1];
          failures.push(`  browser${t.projectName ? ` [${t.projectName}]` : ''}: ${spec.file}:${spec.line} › ${[...trail, spec.title].join(' › ')}`, ...firstLines(last?.error?.message));
        }
      }
      for (const child of suite.suites ?? []) walk(child, suite.title && !suite.title.endsWith('.ts') ? [...trail, suite.title] : trail);
    };
    for (const suite of report.suites ?? []) walk(suite, []);
  } else if (!e2eOk) failed += 1;
  return { passed, failed, skipped, failures };
}
