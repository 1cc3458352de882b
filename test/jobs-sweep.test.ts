// `dnn-native sweep` and sweep(spec) on the local pool: the results file's contract (one entry per trial in grid
// order, options as given, metrics, model, worker, attempts, threads, BLAS kernel; the best marked), the saved
// models, random search, cancellation that keeps the finished trials, and spec errors that name the flag. Then the
// same sweep over TLS (rediss://, a password) with a worker process: the same metrics as the local run.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Model } from '../lib/index';
import { sweep, type TrialResult } from '../lib/jobs/sweep';
import { cli } from './support/cli-in-process';
import { freePort, startWorkerProcess } from './support/redis';
import { threeClasses } from './support/three-classes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-sweep-test-'));
const file = (name: string) => path.join(tmp, name);
const { X, Y } = threeClasses(240, 5);

// the data as a CSV file (features then the label), for the command line
const csv = file('three.csv');
const rows = ['a,b,c,d,label'];
for (let j = 0; j < X.cols; j++) rows.push([0, 1, 2, 3].map((i) => X.get(i, j)).join(',') + `,${Y.get(0, j)}`);
fs.writeFileSync(csv, `${rows.join('\n')}\n`);

const SWEEP_ARGS = [
  'sweep',
  '--data',
  csv,
  '--output-activation',
  'softmax',
  '--grid',
  'learning-rate=0.05;0.2',
  '--grid',
  'hidden=6;8,4',
  '--grid',
  'optimizer=gd;momentum;adam',
  '--random',
  '4',
  '--epochs',
  '8',
  '--batch-size',
  '16',
  '--seed',
  '12',
];

let localResults: TrialResult[];
// these sweeps are classifiers: their metrics hold the validation accuracy
const accuracyOf = (t: TrialResult) => (t.metrics as { validationAccuracy: number }).validationAccuracy;

test('sweep on the command line: the results file, the table, the models, the best marked', async () => {
  const result = await cli([...SWEEP_ARGS, '--results', file('local.json'), '--output-dir', file('local')]);
  assert.is(result.status, 0, result.stderr);
  localResults = JSON.parse(fs.readFileSync(file('local.json'), 'utf8'));
  assert.is(localResults.length, 4); // --random 4 of the 12 grid points, in grid order
  const gridOrder = (t: TrialResult) =>
    ['0.05', '0.2'].indexOf(t.options['learning-rate']) * 6 +
    ['6', '8,4'].indexOf(t.options.hidden) * 3 +
    ['gd', 'momentum', 'adam'].indexOf(t.options.optimizer);
  const order = localResults.map(gridOrder);
  assert.equal(
    order,
    [...order].sort((a, b) => a - b),
  );
  assert.equal(Object.keys(localResults[0].options), ['learning-rate', 'hidden', 'optimizer']);
  for (const trial of localResults) {
    assert.is(trial.status, 'done');
    assert.is(trial.attempts, 1);
    assert.is(trial.threads, 1);
    assert.type(trial.blasCore, 'string');
    assert.match(trial.worker!, /^local:/);
    // the saved model is the trial's: it scores the validation metrics the results report
    const model = Model.load(trial.model!);
    assert.equal(model.layerDims, [4, ...trial.options.hidden.split(',').map(Number), 3]);
    assert.is(model.config.optimizer, trial.options.optimizer);
    assert.ok(accuracyOf(trial) > 0.3 && trial.metrics!.validationCost > 0);
  }
  const best = localResults.filter((t) => t.best);
  assert.is(best.length, 1);
  assert.is(best[0].rank, 1);
  const accuracies = localResults.map(accuracyOf);
  assert.is(accuracyOf(best[0]), Math.max(...accuracies));
  assert.match(result.stdout, /trial\s+learning-rate\s+hidden\s+optimizer\s+val\. accuracy/);
  assert.match(result.stdout, new RegExp(`best: trial ${best[0].trial} `));
  const split = /(\d+) training and (\d+) validation examples \(seed 12\)/.exec(result.stdout);
  assert.ok(split, result.stdout);
  assert.is(Number(split![1]) + Number(split![2]), 240);
  assert.ok(Math.abs(Number(split![2]) - 48) <= 2, `${split![2]} held out, a fifth of each class`);
});

test('spec errors name the grid axis or the flag, before anything trains', async () => {
  const base = ['sweep', '--data', csv, '--output-activation', 'softmax', '--results', file('x.json')];
  const cases: [string[], RegExp][] = [
    [['--grid', 'learning-rate=abc', '--output-dir', tmp], /--grid learning-rate=abc: expected a number/],
    [['--grid', 'threads=1;2', '--output-dir', tmp], /--grid threads: not a flag a trial can vary \(it is one setting/],
    [['--grid', 'l2=0;-1', '--output-dir', tmp], /trial 2 \(l2=-1\): --l2 must be a finite number >= 0, got -1/],
    [['--grid', 'l2=0;1', '--random', '3', '--output-dir', tmp], /--random 3 is more than the grid's 2 points/],
    [['--grid', 'l2=0', '--l2', '1', '--output-dir', tmp], /--l2 is both fixed and a --grid axis/],
    [['--grid', 'l2', '--output-dir', tmp], /--grid "l2": expected NAME=V1;V2/],
    [
      ['--grid', 'validation-split=0.1;0.2', '--output-dir', tmp],
      /--grid validation-split: the sweep holds out its own/,
    ],
    [['--redis', 'http://host', '--output-dir', tmp], /--redis must start with redis:\/\/ or rediss:\/\//],
    [
      ['--redis', 'redis://:pw@127.0.0.1:1', '--output-dir', tmp],
      /--redis: cannot use Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await cli([...base, ...args]);
    assert.is(result.status, 1, args.join(' '));
    assert.match(result.stderr, message);
    assert.is(result.stderr.trim().split('\n').length, 1);
  }
});

test('cancelling keeps the finished trials and writes them to the results', async () => {
  const controller = new AbortController();
  const outcome = await sweep({
    X,
    Y,
    grid: { 'learning-rate': [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] },
    fixed: { epochs: 400, 'batch-size': 8, hidden: '8' },
    seed: 3,
    concurrency: 1,
    outputDir: file('cancelled'),
    results: file('cancelled.json'),
    signal: controller.signal,
    onProgress: (event) => {
      if (event.type === 'trial' && event.finished === 2) controller.abort();
    },
  });
  assert.ok(outcome.cancelled);
  const written: TrialResult[] = JSON.parse(fs.readFileSync(file('cancelled.json'), 'utf8'));
  const done = written.filter((t) => t.status === 'done');
  assert.ok(done.length >= 2 && done.length < 6, `${done.length} finished`);
  assert.ok(written.filter((t) => t.status === 'cancelled').length >= 1);
  for (const trial of done) assert.ok(fs.existsSync(trial.model!));
  assert.is(written.filter((t) => t.best).length, 1);
});

test('a trial that diverges is a failed trial with the reason; the others are ranked', async () => {
  const outcome = await sweep({
    X,
    Y,
    grid: { 'learning-rate': ['0.1', '1e12'] },
    fixed: { epochs: 5, 'batch-size': 16, hidden: '8' },
    seed: 3,
    outputDir: file('diverged'),
  });
  const [fine, diverged] = outcome.trials;
  assert.is(fine.status, 'done');
  assert.is(fine.rank, 1);
  assert.ok(fine.best);
  assert.is(diverged.status, 'failed');
  assert.match(diverged.error!, /training stopped: the cost became (NaN|Infinity)/);
  assert.is(diverged.rank, null);
  assert.is(diverged.model, null);
});

/** A CA and a certificate for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const at = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    at('server.key'),
    '-out',
    at('server.csr'),
  );
  fs.writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    at('san.ext'),
    '-out',
    at('server.crt'),
  );
  return { ca: at('ca.crt'), cert: at('server.crt'), key: at('server.key') };
}

test('rediss:// with a password: a worker process over TLS trains the same sweep to the same metrics', async () => {
  const { ca, cert, key } = makeCertificates(tmp);
  const port = await freePort();
  const password = 'tls-test-password';
  const server = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-ca-cert-file',
      ca,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      password,
    ],
    { stdio: 'ignore' },
  );
  // Node trusts the test CA through its standard variable, in the worker and in the submitting process alike
  process.env.NODE_EXTRA_CA_CERTS = ca;
  const url = `rediss://:${password}@127.0.0.1:${port}`;
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  try {
    await new Promise((r) => setTimeout(r, 300));
    worker = await startWorkerProcess(['--redis', url, '--concurrency', '2']);
    const submit = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'lib', 'cli', 'index.ts'),
        ...SWEEP_ARGS,
        '--results',
        file('tls.json'),
        '--output-dir',
        file('tls'),
        '--redis',
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    submit.stdout.on('data', (chunk) => (output += chunk));
    submit.stderr.on('data', (chunk) => (output += chunk));
    const status = await new Promise((resolve) => submit.once('exit', resolve));
    assert.is(status, 0, output);
    const remote: TrialResult[] = JSON.parse(fs.readFileSync(file('tls.json'), 'utf8'));
    assert.equal(
      remote.map((t) => [t.options, t.metrics]),
      localResults.map((t) => [t.options, t.metrics]),
    );
    assert.ok(remote.every((t) => t.worker?.startsWith(`${os.hostname()}:${worker!.pid}/`)));
  } finally {
    delete process.env.NODE_EXTRA_CA_CERTS;
    worker?.child.kill('SIGTERM');
    if (worker) await worker.exited;
    server.kill('SIGTERM');
  }
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
