#!/usr/bin/env node
// Runs the uvu suites under test/ (TypeScript, through tsx) and ends with the plain line CI reads:
// "N passed, N failed". Extra arguments are uvu's: a pattern narrows the files (npm test -- model).

const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pattern = process.argv[2] ? `${process.argv[2]}.*\\.test\\.ts$` : '\\.test\\.ts$';
const uvu = path.join(path.dirname(require.resolve('uvu')), '..', 'bin.js'); // uvu's exports map hides bin.js
const child = spawn(process.execPath, ['--import', 'tsx', uvu, 'test', pattern, ...process.argv.slice(3)], {
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
  // uvu's summary: "Total:     N", "Passed:    N", "Skipped:   N" (ANSI colours stripped)
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (label) => {
    const match = plain.match(new RegExp(`${label}:\\s+(\\d+)`));
    return match ? Number(match[1]) : 0;
  };
  const total = count('Total'),
    passed = count('Passed'),
    skipped = count('Skipped');
  let failed = total - passed - skipped;
  if ((code !== 0 || signal) && failed === 0) failed = 1; // a crash or a failed import counts as a failure
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
});
