// Adds up the JSON reports of jest, Python's unittest (scripts/test-python.py) and Playwright in a folder and prints
// the closing line "N passed, N failed".
import { existsSync, readFileSync } from 'node:fs';

const dir = process.argv[2];
const read = name => (existsSync(`${dir}/${name}`) ? JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) : undefined);
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];

for (const name of ['jest-sdk.json', 'jest-extension.json']) {
  const report = read(name);
  if (!report) {
    lines.push(`${name}: no report (the run did not finish)`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  skipped += report.numPendingTests + report.numTodoTests;
  lines.push(`${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed in ${report.numTotalTestSuites} suites`);
}

const python = read('python-unittest.json');
if (!python) {
  lines.push('python-unittest.json: no report (the Python tests did not finish)');
  failed += 1;
} else {
  passed += python.passed;
  failed += python.failed;
  skipped += python.skipped;
  lines.push(`python-unittest.json: ${python.passed} passed, ${python.failed} failed of ${python.total}`);
}

const playwright = read('playwright.json');
if (!playwright) {
  lines.push('playwright.json: no report (the UI tests did not run)');
  failed += 1;
} else {
  const { expected = 0, unexpected = 0, flaky = 0, skipped: pwSkipped = 0 } = playwright.stats ?? {};
  passed += expected + flaky;
  failed += unexpected;
  skipped += pwSkipped;
  lines.push(`playwright.json: ${expected + flaky} passed, ${unexpected} failed`);
}

console.log(`\n${lines.join('\n')}`);
// A skipped test is a test that did not prove anything: count it as a failure so nothing is skipped quietly.
console.log(`${passed} passed, ${failed + skipped} failed${skipped ? ` (${skipped} skipped, counted as failed)` : ''}`);
process.exitCode = failed + skipped === 0 && passed > 0 ? 0 : 1;
