// Sweeps across processes, with the real parts: Debian's redis-server (on a free loopback port, with a password) and
// real `dnn-native worker` processes. The same 8-trial sweep runs on the local pool and through Redis with two
// workers, one of them killed with SIGKILL in the middle of a trial: every trial finishes, the interrupted one
// resumed from its checkpoint on the other worker, all with the local run's metrics bit for bit. Then hostile jobs
// fail with their reason while the worker keeps serving, and SIGTERM stops a worker cleanly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeSweepData, splitValidation } from '../lib/jobs/data';
import { type SweepEvent, type SweepSpec, sweep, type TrialResult } from '../lib/jobs/sweep';
import { type RedisServer, startRedis, startWorkerProcess, type WorkerProcess } from './support/redis';
import { threeClasses } from './support/three-classes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-sweep-redis-'));

const { X, Y } = threeClasses(300, 21);
// 8 trials of about half a second each on this machine: long enough to be killed in the middle of one
const SPEC: Omit<SweepSpec, 'outputDir'> = {
  X,
  Y,
  output: 'softmax',
  grid: ['learning-rate=0.01;0.05', 'hidden=8;12,6', 'optimizer=momentum;adam'],
  fixed: { epochs: 800, 'batch-size': 10 },
  seed: 17,
};

let redis: RedisServer;
const workers: WorkerProcess[] = [];
const workerArgs = () => [
  '--redis',
  redis.url,
  '--concurrency',
  '1',
  '--stall-timeout',
  '2',
  '--checkpoint-every',
  '50',
  '--max-data-mb',
  '1',
];

test.before(async () => {
  redis = await startRedis();
});

test.after(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await redis.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const metricsOf = (trials: TrialResult[]) => trials.map((t) => t.metrics);

test('the same 8-trial sweep: local pool, then 2 worker processes with one SIGKILLed mid-trial: same metrics, bit for bit', async () => {
  // the workers start (compiling the sources) while the local sweep runs
  const starting = Promise.all([startWorkerProcess(workerArgs()), startWorkerProcess(workerArgs())]);
  const local = await sweep({ ...SPEC, outputDir: path.join(tmp, 'local'), concurrency: 2 });
  workers.push(...(await starting));
  assert.is(local.trials.length, 8);
  assert.ok(local.trials.every((t) => t.status === 'done' && t.worker?.startsWith('local:')));

  let killed: WorkerProcess | undefined;
  let killedTrial = -1;
  // which worker runs which trial: from the trials' progress reports (the first one comes as a trial starts)
  const runningOn = new Map<number, number>();
  const onProgress = (event: SweepEvent) => {
    if (event.type === 'progress') runningOn.set(event.index, Number(event.worker?.split(':').pop()));
  };
  // The first trial with a checkpoint in Redis (stored every 50 ms): its worker dies with it, mid-trial.
  const observer = new Redis(redis.url);
  let watching = true;
  const watch = (async () => {
    while (watching && killed === undefined) {
      for (const key of await observer.keys('dnn-native:checkpoint:*')) {
        const index = Number(key.split('-').pop());
        killed = workers.find((w) => w.pid === runningOn.get(index));
        if (killed === undefined) continue;
        killedTrial = index;
        killed.child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const results = path.join(tmp, 'remote.json');
  const remote = await sweep({
    ...SPEC,
    outputDir: path.join(tmp, 'remote'),
    results,
    redis: redis.url,
    onProgress,
  });
  watching = false;
  await watch;
  observer.disconnect();
  assert.ok(killed !== undefined, 'a worker was killed');
  assert.is(await killed!.exited, null, 'killed by a signal');
  assert.equal(
    remote.trials.map((t) => t.status),
    Array(8).fill('done'),
  );
  assert.equal(metricsOf(remote.trials), metricsOf(local.trials));
  // the results file holds the same, in grid order, with the options as given
  const written = JSON.parse(fs.readFileSync(results, 'utf8')) as TrialResult[];
  assert.equal(metricsOf(written), metricsOf(local.trials));
  assert.equal(written[5].options, { 'learning-rate': '0.05', hidden: '8', optimizer: 'adam' });
  assert.equal(
    written.map((t) => t.best),
    local.trials.map((t) => t.best),
  );
  // the interrupted trial went back to the queue and resumed from its checkpoint on the survivor
  const resumed = remote.trials[killedTrial];
  assert.is(resumed.attempts, 2);
  assert.ok(resumed.trained!.resumedFrom > 0, `resumed from epoch ${resumed.trained!.resumedFrom}`);
  assert.is(
    resumed.worker,
    `${os.hostname()}:${workers.find((w) => w !== killed)!.pid}/${resumed.worker!.split('/')[1]}`,
  );
  assert.ok(
    remote.trials.every((t) => t.threads === 1 && t.blasCore === local.trials[0].blasCore),
    'thread count and BLAS kernel recorded',
  );
  // the data travelled once to each worker, not once per trial
  for (const worker of workers) assert.is(worker.output().match(/fetched the sweep data/g)?.length, 1, worker.output());
  // every model came back through Redis
  for (const trial of remote.trials) assert.ok(fs.statSync(trial.model!).size > 0);
});

test('hostile or malformed jobs fail with their reason; the worker keeps serving', async () => {
  const survivor = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('trials', { connection, prefix: 'dnn-native' });
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents('trials', { connection: eventsConnection, prefix: 'dnn-native' });
  await events.waitUntilReady();
  // blobs stored as a sweep would store them: by their sha256
  const { createHash } = await import('node:crypto');
  const store = async (bytes: Buffer) => {
    const sha = createHash('sha256').update(bytes).digest('hex');
    await connection.set(`dnn-native:blob:${sha}`, bytes);
    return sha;
  };
  const garbage = await store(Buffer.from('hello, not sweep data'));
  const huge = await store(Buffer.alloc(2 * 1024 * 1024)); // over the workers' --max-data-mb 1
  const real = await store(
    encodeSweepData(splitValidation(X, Y, { fraction: 0.2, seed: 1, output: 'softmax', outputs: 3 })),
  );
  const valid = {
    sweep: 'hostile',
    index: 0,
    data: garbage,
    model: { layerDims: [4, 3], output: 'softmax', seed: 1 },
    fit: { epochs: 1, batchSize: 10 },
    threads: 1,
  };
  const cases: [unknown, RegExp][] = [
    ['rm -rf /', /job must be a plain object, got "rm -rf \/"/],
    [{ ...valid, code: 'process.exit(1)' }, /job\.code is not a field of a trial job/],
    [{ ...valid, fit: { epochs: 1, onProgress: 'x' } }, /job\.fit\.onProgress is not an option a job may carry/],
    [{ ...valid, model: { ...valid.model, optimizer: 'sgd; rm -rf /' } }, /job\.model: options\.optimizer must be/],
    [{ ...valid, model: { ...valid.model, layerDims: [4, 100000, 100000, 3] } }, /more than this worker's limit/],
    [{ ...valid, data: '../../etc/passwd' }, /job\.data must be a sha256/],
    [{ ...valid, threads: 4096 }, /job\.threads must be an integer from 1 to 64/],
    [valid, /not sweep data/],
    [{ ...valid, data: huge }, /more than the limit of 1048576 bytes/],
    [
      { ...valid, data: real, model: { ...valid.model, layerDims: [7, 3] } },
      /X has shape \(4, 240\), expected \(7, 240\)/,
    ],
    [
      { ...valid, data: real, fit: { epochs: 2e9, batchSize: 10 } },
      /trains 48000000000 steps, more than the limit of 100000000/,
    ],
  ];
  for (const [k, [data, reason]] of cases.entries()) {
    const job = await queue.add('trial', data as object, { jobId: `hostile-${k}`, attempts: 3 });
    try {
      await job.waitUntilFinished(events, 20_000);
      assert.unreachable(`case ${k} should fail`);
    } catch (error) {
      assert.match((error as Error).message, reason, `case ${k}`);
    }
    const failed = await queue.getJob(`hostile-${k}`);
    assert.is(failed!.attemptsMade, 1, `case ${k}: not retried`);
  }
  assert.is(survivor.child.exitCode, null, 'the worker is still running');
  assert.match(survivor.output(), /refused: job must be a plain object/);
  await events.close();
  await queue.close();
  connection.disconnect();
  eventsConnection.disconnect();

  // and it still trains a real sweep
  const after = await sweep({
    ...SPEC,
    grid: ['learning-rate=0.05'],
    outputDir: path.join(tmp, 'after'),
    redis: redis.url,
  });
  assert.is(after.trials[0].status, 'done');
});

test('a second SIGTERM hands the running trial back; another worker resumes it to the same metrics', async () => {
  const survivor = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
  // long enough (about 2 s here) that the second SIGTERM, 50 ms after the first progress report, finds the trial
  // still running on a busy machine: with 3000 epochs (0.6 s) a trial once finished first, and the late signal met a
  // worker already shutting down
  const oneTrial = { ...SPEC, grid: ['learning-rate=0.05'], fixed: { epochs: 10000, 'batch-size': 10, hidden: '8' } };
  const local = await sweep({ ...oneTrial, outputDir: path.join(tmp, 'handback-local') });
  let signalled = false;
  const remote = sweep({
    ...oneTrial,
    outputDir: path.join(tmp, 'handback'),
    redis: redis.url,
    onProgress: (event) => {
      // at the first progress report, early in the trial (reports are a few per second at most)
      if (signalled || event.type !== 'progress') return;
      signalled = true;
      survivor.child.kill('SIGTERM'); // take no more trials, finish this one...
      setTimeout(() => survivor.child.kill('SIGTERM'), 50); // ...or rather hand it back now
    },
  });
  assert.is(
    await survivor.exited,
    0,
    `the worker ended by ${survivor.child.signalCode ?? 'its exit code'}; it printed:\n${survivor.output()}`,
  );
  assert.match(
    survivor.output(),
    /handing the running trials back[\s\S]*handed back to the queue[\s\S]*worker stopped/,
  );
  const next = await startWorkerProcess(workerArgs());
  workers.push(next);
  const outcome = await remote;
  const trial = outcome.trials[0];
  assert.is(trial.status, 'done');
  assert.equal(trial.metrics, local.trials[0].metrics);
  assert.is(trial.attempts, 2);
  assert.ok(trial.trained!.resumedFrom > 0, `resumed from epoch ${trial.trained!.resumedFrom}`);
  assert.match(trial.worker!, new RegExp(`:${next.pid}/`));

  // idle, one SIGTERM stops it at once
  next.child.kill('SIGTERM');
  assert.is(await next.exited, 0);
  assert.match(next.output(), /SIGTERM: taking no more trials[\s\S]*worker stopped/);
});

test.run();
