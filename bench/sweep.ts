// `npm run bench:sweep [-- --quick]`: what a sweep costs beyond its training, and how it scales.
//   1. per-trial overhead: trials so small that training is negligible (a 4-8-3 network, one full-batch step),
//      so trials per second is the machinery's rate: the local pool (1 and 2 threads) against Redis (1 and 2 worker
//      processes, one trial at a time each: a job round trip, the model stored and fetched);
//   2. scaling: trials of a few hundred milliseconds, on 1 then 2 pool threads and 1 then 2 worker processes.
// Starts its own redis-server on a free loopback port and real `dnn-native worker` processes (through tsx, like the
// tests; their start-up is not timed). Prints a markdown table and writes JSON to bench/results/sweep.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blasInfo } from '../lib/index';
import { type SweepSpec, sweep } from '../lib/jobs/sweep';
import { startRedis, startWorkerProcess, type WorkerProcess } from '../test/support/redis';
import { threeClasses } from '../test/support/three-classes';

const quick = process.argv.includes('--quick');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-bench-sweep-'));
const { X, Y } = threeClasses(300, 1);

function grid(trials: number): string[] {
  const rates = Array.from({ length: trials }, (_, k) => String((k + 1) / 1000));
  return [`learning-rate=${rates.join(';')}`];
}

const TINY: Omit<SweepSpec, 'outputDir'> = {
  X,
  Y,
  output: 'softmax',
  grid: grid(quick ? 32 : 96),
  fixed: { iterations: 1, hidden: '8' },
  seed: 1,
};
const MEDIUM: Omit<SweepSpec, 'outputDir'> = {
  X,
  Y,
  output: 'softmax',
  grid: grid(quick ? 8 : 16),
  fixed: { epochs: quick ? 150 : 300, 'batch-size': 10, hidden: '16,8' },
  seed: 1,
};

interface Row {
  workload: string;
  where: string;
  trials: number;
  seconds: number;
  trialsPerSecond: number;
  meanTrainMs: number;
}
const rows: Row[] = [];

async function measure(workload: string, where: string, spec: SweepSpec): Promise<void> {
  const started = performance.now();
  const outcome = await sweep(spec);
  const seconds = (performance.now() - started) / 1000;
  const done = outcome.trials.filter((t) => t.status === 'done');
  if (done.length !== outcome.trials.length) throw new Error(`${workload} ${where}: not every trial finished`);
  const meanTrainMs = done.reduce((sum, t) => sum + (t.elapsedMs ?? 0), 0) / done.length;
  rows.push({ workload, where, trials: done.length, seconds, trialsPerSecond: done.length / seconds, meanTrainMs });
  console.log(`${workload} ${where}: ${done.length} trials in ${seconds.toFixed(2)} s`);
}

const WORKLOADS = [
  ['tiny', TINY],
  ['medium', MEDIUM],
] as const;

async function main(): Promise<void> {
  const dir = (name: string) => path.join(tmp, name);
  const everyWorkload = async (where: string, extra: Partial<SweepSpec>) => {
    for (const [name, spec] of WORKLOADS)
      await measure(name, where, { ...spec, ...extra, outputDir: dir(`${name}-${where.replace(/\W+/g, '-')}`) });
  };
  for (const threads of [1, 2]) await everyWorkload(`local pool, ${threads} thread(s)`, { concurrency: threads });
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  try {
    for (const count of [1, 2]) {
      workers.push(await startWorkerProcess(['--redis', redis.url, '--concurrency', '1']));
      // a first small sweep warms the new worker (its first trial loads the addon in a pool thread)
      await sweep({ ...TINY, grid: grid(2 * count), outputDir: dir(`warm-${count}`), redis: redis.url });
      await everyWorkload(`Redis, ${count} worker(s)`, { redis: redis.url });
    }
  } finally {
    for (const worker of workers) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const info = blasInfo();
  console.log(
    `\n${os.cpus().length} cores (${os.cpus()[0].model}), OpenBLAS ${info.coreName}, 1 BLAS thread per trial\n`,
  );
  console.log('| trials | where | count | seconds | trials/s | mean training per trial (ms) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.workload} | ${r.where} | ${r.trials} | ${r.seconds.toFixed(2)} | ${r.trialsPerSecond.toFixed(1)} | ${r.meanTrainMs.toFixed(1)} |`,
    );
  const results = path.join(__dirname, 'results', 'sweep.json');
  fs.mkdirSync(path.dirname(results), { recursive: true });
  fs.writeFileSync(
    results,
    `${JSON.stringify({ cores: os.cpus().length, blas: info.coreName, quick, rows }, null, 2)}\n`,
  );
  console.log(`\nwritten to ${results}`);
}

void main();
