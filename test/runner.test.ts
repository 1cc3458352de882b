// The test runner (scripts/test.js) itself: it must never report a failing suite as a pass. Each case runs the real
// runner on a folder of small suites (test/runner-cases/*.case.ts) and checks its exit code and its closing line.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(__dirname, '..');
const runner = path.join(root, 'scripts', 'test.js');

interface Summary {
  total: number;
  passed: number;
  skipped: number;
  failed: number;
}
interface RunnerModule {
  readSummary(output: string): Summary | null;
  verdict(run: { code: number; signal: string | null; output: string; allowSkips: boolean }): object;
}

interface Outcome {
  code: number;
  closing: string;
  output: string;
}

function runCase(pattern: string, ci: boolean): Promise<Outcome> {
  const env = { ...process.env, CI: ci ? 'true' : '', FORCE_COLOR: '0' };
  const args = [runner, pattern, '--dir', 'test/runner-cases', '--suffix', '\\.case\\.ts$'];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env }, (error, stdout) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code: error ? Number(error.code) : 0, closing: lines[lines.length - 1], output: stdout });
    });
  });
}

const cases: { pattern: string; ci: boolean; code: number; closing: string; why: string }[] = [
  { pattern: 'passes', ci: true, code: 0, closing: '2 passed, 0 failed', why: 'a clean suite passes' },
  {
    pattern: 'fail-and-skip',
    ci: false,
    code: 1,
    closing: '1 passed, 1 failed, 2 skipped',
    why: 'one failure beside two skips is one failure (uvu Total already leaves skips out)',
  },
  {
    pattern: 'only-failing',
    ci: false,
    code: 1,
    closing: '0 passed, 1 failed, 1 skipped',
    why: 'a failing .only fails',
  },
  {
    pattern: 'only-passing',
    ci: false,
    code: 0,
    closing: '1 passed, 0 failed, 1 skipped',
    why: 'skips are allowed locally',
  },
  {
    pattern: 'only-passing',
    ci: true,
    code: 1,
    closing: '1 passed, 1 failed, 1 skipped',
    why: 'under CI a .only that hides tests fails',
  },
  {
    pattern: 'lookalike-log',
    ci: false,
    code: 1,
    closing: '1 passed, 1 failed',
    why: 'a logged "Passed: 7" or "7 passed, 0 failed" does not move the count',
  },
  { pattern: 'exits-early', ci: false, code: 1, closing: '0 passed, 1 failed', why: 'process.exit(0) mid-run fails' },
  {
    pattern: 'import-throws',
    ci: false,
    code: 1,
    closing: '0 passed, 1 failed',
    why: 'a suite that fails to load fails',
  },
  {
    pattern: 'nothing-matches-this',
    ci: false,
    code: 1,
    closing: '0 passed, 1 failed',
    why: 'no test run is a failure',
  },
];

test('the runner fails every failing, hiding or empty run and passes a clean one', async () => {
  const outcomes = await Promise.all(cases.map((c) => runCase(c.pattern, c.ci)));
  cases.forEach((c, i) => {
    const { code, closing, output } = outcomes[i];
    assert.is(closing, c.closing, `${c.pattern} (CI ${c.ci}): ${c.why}\n${output}`);
    assert.is(code, c.code, `${c.pattern} (CI ${c.ci}) exit code: ${c.why}`);
  });
});

test('readSummary reads only the final block uvu writes', () => {
  const { readSummary, verdict } = require(runner) as RunnerModule;
  const block = '\n  Total:     3\n  Passed:    2\n  Skipped:   4\n  Duration:  1.2ms\n\n';
  assert.equal(readSummary(`  Passed:    99\n${block}`), { total: 3, passed: 2, skipped: 4, failed: 1 });
  assert.is(readSummary(`${block}extra line after the summary\n`), null);
  assert.is(readSummary(''), null);
  assert.equal(
    verdict({ code: 1, signal: null, output: block.replace('Passed:    2', 'Passed:    3'), allowSkips: true }),
    {
      passed: 3,
      failed: 1,
      skipped: 4,
      problems: ['uvu exited with code 1'],
    },
  );
});

test.run();
