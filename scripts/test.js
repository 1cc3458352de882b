#!/usr/bin/env node
// Runs the uvu suites (TypeScript, through tsx) and ends with the plain line CI reads: "N passed, N failed".
//   node scripts/test.js [pattern] [--dir <folder>] [--suffix <regex>]
// pattern narrows the files (npm test -- model); --dir and --suffix choose another folder of suites (the runner's
// own tests use them). The run fails when uvu exits non-zero, when any test fails, when no test ran, when uvu's
// summary is missing, and, under CI, when a test was skipped (a forgotten .skip or .only hides tests).

const { spawn } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

/**
 * uvu's own summary: the last lines it writes are "Total: N" (tests run, skips excluded), "Passed: N",
 * "Skipped: N", "Duration: ...". Only the final block counts, so a test that logs a look-alike line cannot move
 * the figures. Returns null when the output does not end with that block (a crash, a failed import).
 */
function readSummary(output) {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .trimEnd()
    .split('\n')
    .slice(-4);
  const labels = ['Total', 'Passed', 'Skipped', 'Duration'];
  const values = lines.map((line, i) => new RegExp(`^\\s*${labels[i]}:\\s+(\\S+)`).exec(line)?.[1]);
  if (values.some((v) => v === undefined)) return null;
  const [total, passed, skipped] = values.slice(0, 3).map(Number);
  if (![total, passed, skipped].every(Number.isInteger)) return null;
  return { total, passed, skipped, failed: total - passed };
}

/** The verdict of one uvu run from its exit code, signal, output and whether skips are allowed. */
function verdict({ code, signal, output, allowSkips }) {
  const summary = readSummary(output);
  const problems = [];
  if (summary === null) problems.push('uvu did not finish its summary (a crash or a failed import?)');
  if (signal) problems.push(`uvu was killed by ${signal}`);
  else if (code !== 0) problems.push(`uvu exited with code ${code}`);
  const { total = 0, passed = 0, skipped = 0, failed = 0 } = summary ?? {};
  if (summary !== null && total === 0) problems.push('no test ran (does the pattern match any file?)');
  if (skipped > 0 && !allowSkips)
    problems.push(`${skipped} skipped (a .skip or .only left in a suite); skips fail under CI`);
  // A failing run counts at least one failure, whatever the summary says.
  const failedCount = problems.length > 0 ? Math.max(failed, 1) : failed;
  return { passed, failed: failedCount, skipped, problems };
}

function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { dir: { type: 'string', default: 'test' }, suffix: { type: 'string', default: '\\.test\\.ts$' } },
    allowPositionals: true,
  });
  const root = path.resolve(__dirname, '..');
  const pattern = positionals[0] ? `${positionals[0]}.*${values.suffix}` : values.suffix;
  const uvu = path.join(path.dirname(require.resolve('uvu')), '..', 'bin.js'); // uvu's exports map hides bin.js
  const child = spawn(process.execPath, ['--import', 'tsx', uvu, values.dir, pattern, ...positionals.slice(1)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk.toString();
  });
  child.on('close', (code, signal) => {
    const allowSkips = !process.env.CI || process.env.CI === 'false';
    const result = verdict({ code, signal, output, allowSkips });
    for (const problem of result.problems) console.log(`test runner: ${problem}`);
    console.log(
      `${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`,
    );
    process.exit(result.failed > 0 ? 1 : 0);
  });
}

if (require.main === module) main();
module.exports = { readSummary, verdict };
