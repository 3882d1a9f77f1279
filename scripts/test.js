#!/usr/bin/env node
// `npm test`: build (the CLI tests run the compiled `tandem`, the e2e tests the built UI), Vitest
// (engine, CLI, daemon, Electron main's pure parts, renderer components), then the Playwright
// end-to-end tests in Debian's Chromium. Ends with one plain line `N passed, M failed`, where M
// counts failed tests, plus one for each test file that failed outside its tests (named above it).
// Arguments go to Vitest; `--e2e-only` / `--no-e2e` pick one half.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const run = (cmd, args, env = process.env) =>
  spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;
const args = process.argv.slice(2);
const e2eOnly = args.includes('--e2e-only');
const noE2e = args.includes('--no-e2e');
const vitestArgs = args.filter((a) => a !== '--e2e-only' && a !== '--no-e2e');

if (run(process.execPath, ['scripts/build.js']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-test-'));

if (!e2eOnly) {
  const report = path.join(dir, 'vitest.json');
  const status = run('npx', [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...vitestArgs,
  ]);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // Tests are counted, not suites (Vitest's numFailedTestSuites counts every describe block and
    // file above a failed test, so 2 failures printed as "5 failed"). A file that failed with no
    // failed test of its own (it did not load, or a beforeAll/afterAll hook threw, leaving its
    // tests skipped) would count nothing: it counts as one failure, named on its own line.
    failed += r.numFailedTests;
    for (const f of filesFailedOutsideTests(r)) {
      failed += 1;
      console.log(`failed outside any test: ${f}`);
    }
  } catch (e) {
    failed += 1;
    console.log(`failed: no readable Vitest report (${e.message})`);
  }
  ok &&= status === 0;
}

if (!noE2e && vitestArgs.length === 0) {
  const chromium = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    // CI sets TANDEM_REQUIRE_E2E=1 so that a missing browser fails the run instead of hiding it.
    const msg = `end-to-end tests skipped: no Chromium at ${chromium} (apt-get install chromium, or set TANDEM_CHROMIUM)`;
    console.log(msg);
    if (process.env.TANDEM_REQUIRE_E2E === '1') {
      failed += 1;
      ok = false;
    }
  } else {
    const report = path.join(dir, 'e2e.json');
    const status = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], {
      ...process.env,
      PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    });
    try {
      const r = JSON.parse(readFileSync(report, 'utf8'));
      passed += r.stats.expected + (r.stats.flaky ?? 0);
      failed += r.stats.unexpected;
      skipped += r.stats.skipped;
      // Say why specs were skipped (the list reporter shows only that they were).
      for (const [reason, n] of skipReasons(r))
        console.log(`skipped ${n} e2e test${n === 1 ? '' : 's'}: ${reason}`);
    } catch (e) {
      failed += 1;
      console.log(`failed: no readable Playwright report (${e.message})`);
    }
    ok &&= status === 0;
  }
}

rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 ? 0 : 1);

/** Test files of a Vitest JSON report that failed without a failed test: `path: why`, one each. */
function filesFailedOutsideTests(report) {
  const out = [];
  for (const f of report.testResults ?? []) {
    if (f.status !== 'failed') continue;
    if ((f.assertionResults ?? []).some((a) => a.status === 'failed')) continue;
    const why = (f.message ?? '').trim().split('\n')[0] || 'a hook failed (see its error above)';
    out.push(`${path.relative(process.cwd(), f.name)}: ${why}`);
  }
  return out;
}

/** Skip annotations of a Playwright JSON report, counted by reason. */
function skipReasons(report) {
  const reasons = new Map();
  const visit = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        for (const a of t.annotations ?? [])
          if (a.type === 'skip') {
            const why = a.description ?? 'no reason given';
            reasons.set(why, (reasons.get(why) ?? 0) + 1);
          }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const s of report.suites ?? []) visit(s);
  return reasons;
}
