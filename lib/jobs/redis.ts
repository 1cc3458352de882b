// Trials across machines, through BullMQ on Redis. The submitting sweep stores the data once (content-addressed,
// sha256) and adds one job per trial; `dnn-native worker` processes on any machines take trials, fetch the data
// (once per sweep, then cached), train them in their trial pool, store a checkpoint after every epoch (or tenth of the steps), and
// store the model (content-addressed) before completing the job with its metrics. A worker that dies stops renewing
// its lock; BullMQ's stalled-job check puts the trial back in the queue and the next worker resumes it from the
// last checkpoint. Redis is the only shared piece.
import os from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sha256 } from './data';
import { TrialPool } from './pool';
import type { PoolResult } from './pool-worker';
import { describeScore, type TrialJob, type TrialMetrics, type TrialProgress } from './trial';
import { DEFAULT_JOB_LIMITS, type JobLimits, validateTrialJob } from './validate';

export const DEFAULT_QUEUE = 'trials';
// BullMQ's keys and ours share this prefix, so that one Redis can serve other applications too.
const PREFIX = 'dnn-native';
const MiB = 1024 * 1024;
const PROGRESS_EVERY_MS = 250;

export interface StoreLimits {
  /** the largest sweep data a sweep stores and a worker fetches */
  maxDataBytes: number;
  /** the largest model file */
  maxModelBytes: number;
  /** the largest checkpoint (parameters plus optimiser state) */
  maxCheckpointBytes: number;
  /** how long blobs, checkpoints and finished jobs stay in Redis, in seconds */
  ttlSeconds: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  maxDataBytes: 256 * MiB,
  maxModelBytes: 96 * MiB,
  maxCheckpointBytes: 300 * MiB,
  ttlSeconds: 24 * 3600,
};

/** Checks a Redis URL (redis://[:password@]host[:port][/db] or rediss:// for TLS) without echoing its password. */
export function requireRedisUrl(url: string, flag = '--redis'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${flag} must be a URL such as redis://host:6379 or rediss://:password@host:6380`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`${flag} must start with redis:// or rediss:// (TLS), got ${parsed.protocol}//`);
  return url;
}

/** A connection as BullMQ wants it (commands wait for a reconnect rather than fail). */
export function connectRedis(url: string): Redis {
  // ioredis reads the password, database and TLS (rediss://) from the URL
  const connection = new Redis(requireRedisUrl(url), { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; its errors reach the waiting commands (and BullMQ's own listeners)
  connection.on('error', () => {});
  return connection;
}

/** host:port of a Redis URL, without its password, for messages. */
function redisAddress(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  return `${protocol}//${hostname}:${port || 6379}`;
}

/** A first connection that is known to work: an unreachable server or a wrong password fails here, saying which. */
export async function openRedis(url: string, flag = '--redis'): Promise<Redis> {
  const connection = new Redis(requireRedisUrl(url, flag), { maxRetriesPerRequest: null, lazyConnect: true });
  let lastError: Error | undefined;
  connection.on('error', (error) => {
    lastError = error;
  });
  try {
    await connection.connect();
    await connection.ping();
  } catch (error) {
    connection.disconnect();
    // connect() only says "Connection is closed"; the error event said why
    throw new Error(`${flag}: cannot use Redis at ${redisAddress(url)}: ${(lastError ?? (error as Error)).message}`);
  }
  return connection;
}

const blobKey = (sha: string) => `${PREFIX}:blob:${sha}`;
const checkpointKey = (jobId: string) => `${PREFIX}:checkpoint:${jobId}`;
const startsKey = (jobId: string) => `${PREFIX}:starts:${jobId}`;

/** Stores bytes under their sha256 (once: an existing blob only gets its expiry renewed); returns the sha256. */
export async function putBlob(redis: Redis, bytes: Uint8Array, maxBytes: number, what: string, ttl: number) {
  if (bytes.length > maxBytes)
    throw new Error(`${what} is ${bytes.length} bytes, more than the limit of ${maxBytes} bytes in Redis`);
  const sha = sha256(bytes);
  const stored = await redis.set(blobKey(sha), Buffer.from(bytes), 'EX', ttl, 'NX');
  if (stored === null) await redis.expire(blobKey(sha), ttl);
  return sha;
}

/** Fetches a blob by its sha256, refusing one over `maxBytes` before reading it and one whose bytes do not match. */
export async function getBlob(redis: Redis, sha: string, maxBytes: number, what: string): Promise<Buffer> {
  const size = await redis.strlen(blobKey(sha));
  if (size > maxBytes) throw new Error(`${what} ${sha} is ${size} bytes, more than the limit of ${maxBytes} bytes`);
  const bytes = await redis.getBuffer(blobKey(sha));
  if (bytes === null) throw new Error(`${what} ${sha} is not in Redis (expired, or never stored)`);
  if (sha256(bytes) !== sha) throw new Error(`${what} ${sha}: the stored bytes do not match their sha256`);
  return bytes;
}

/** What a worker returns for a finished trial (the job's return value). */
export interface RemoteTrialResult {
  metrics: TrialMetrics;
  trainCost: number;
  /** the model file's sha256 (a blob in Redis) */
  model: string;
  worker: string;
  /** how many times a worker started this trial (a trial resumed after a worker died counts 2) */
  attempts: number;
  threads: number;
  blasCore: string;
  resumedFrom: number;
  total: number;
  unit: 'epoch' | 'step';
  elapsedMs: number;
}

export interface RemoteProgress extends TrialProgress {
  worker: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The worker

export interface WorkerOptions {
  redis: string;
  queue?: string;
  /** trials at once (default: the machine's cores) */
  concurrency?: number;
  /** how long a trial stays locked to a silent worker before another takes it (ms; default 30000) */
  lockMs?: number;
  /** at most one checkpoint per trial in this many milliseconds (default 1000): a lost worker loses at most this much */
  checkpointEveryMs?: number;
  limits?: Partial<JobLimits & StoreLimits>;
  log?: (line: string) => void;
}

export interface TrialWorker {
  /** stops taking trials; running ones finish (or, with handBack, stop at their next checkpoint and go back to the queue) */
  close(handBack?: boolean): Promise<void>;
  /** stops the running trials at their next checkpoint and returns them to the queue (after close()) */
  handBack(): void;
  readonly name: string;
}

/** Serves trials from the queue until closed. */
export async function startWorker(options: WorkerOptions): Promise<TrialWorker> {
  const limits = { ...DEFAULT_JOB_LIMITS, ...DEFAULT_STORE_LIMITS, ...options.limits };
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? os.availableParallelism();
  const lockMs = options.lockMs ?? 30_000;
  const redis = await openRedis(options.redis);
  const pool = new TrialPool(concurrency);
  const name = `${os.hostname()}:${process.pid}`;
  const running = new Set<Int32Array>();
  // the last sweep's data bytes, over a SharedArrayBuffer that every pool thread reads without a copy
  const dataCache = new Map<string, Promise<Uint8Array>>();
  const dataFor = (sha: string) => {
    let bytes = dataCache.get(sha);
    if (bytes === undefined) {
      bytes = getBlob(redis, sha, limits.maxDataBytes, 'the sweep data').then((buffer) => {
        log(`fetched the sweep data ${sha.slice(0, 12)} (${buffer.length} bytes)`);
        const shared = new Uint8Array(new SharedArrayBuffer(buffer.length));
        shared.set(buffer);
        return shared;
      });
      bytes.catch(() => dataCache.delete(sha));
      dataCache.set(sha, bytes);
      while (dataCache.size > 2) dataCache.delete(dataCache.keys().next().value as string);
    }
    return bytes;
  };

  const processTrial = async (job: import('bullmq').Job, token?: string): Promise<RemoteTrialResult> => {
    let trial: TrialJob;
    try {
      trial = validateTrialJob(job.data, limits);
    } catch (error) {
      log(`trial ${job.id}: refused: ${(error as Error).message}`);
      throw new UnrecoverableError((error as Error).message);
    }
    const jobId = String(job.id);
    const attempts = await redis.incr(startsKey(jobId));
    await redis.expire(startsKey(jobId), limits.ttlSeconds);
    let data: Uint8Array;
    try {
      data = await dataFor(trial.data);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const checkpointSize = await redis.strlen(checkpointKey(jobId));
    const checkpoint =
      checkpointSize > 0 && checkpointSize <= limits.maxCheckpointBytes
        ? ((await redis.getBuffer(checkpointKey(jobId))) ?? undefined)
        : undefined;
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    running.add(stopFlag);
    let writes: Promise<unknown> = Promise.resolve();
    let lastProgress = -Infinity;
    let result: PoolResult;
    try {
      result = await pool.run(
        {
          job: trial,
          data: { key: trial.data, bytes: data },
          checkpoint,
          stopFlag,
          checkpointEveryMs: options.checkpointEveryMs ?? 1000,
          maxSteps: limits.maxSteps,
        },
        {
          onProgress: (progress) => {
            // progress is an event through Redis: a few per second at most
            if (performance.now() - lastProgress < PROGRESS_EVERY_MS) return;
            lastProgress = performance.now();
            void job.updateProgress({ ...progress, worker: name } satisfies RemoteProgress).catch(() => {});
          },
          onCheckpoint: (bytes) => {
            if (bytes.length > limits.maxCheckpointBytes) return; // too large to keep: a restart starts over
            // in order: an older checkpoint never overwrites a newer one
            writes = writes.then(() => redis.set(checkpointKey(jobId), Buffer.from(bytes), 'EX', limits.ttlSeconds));
          },
        },
      );
    } catch (error) {
      // a trial that cannot start (its options do not fit the data, ...) fails the same way everywhere; a bad
      // checkpoint is dropped, and the retry starts over
      if (checkpoint !== undefined) {
        await redis.del(checkpointKey(jobId));
        throw new Error(`the checkpoint could not be used (${(error as Error).message}); starting over`);
      }
      log(`trial ${jobId}: failed: ${(error as Error).message}`);
      throw new UnrecoverableError((error as Error).message);
    } finally {
      running.delete(stopFlag);
    }
    await writes.catch(() => {});
    if (result.status === 'stopped') {
      await redis.set(checkpointKey(jobId), Buffer.from(result.checkpoint!), 'EX', limits.ttlSeconds);
      log(`trial ${jobId}: handed back to the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (result.status === 'failed') throw new UnrecoverableError(result.error);
    const model = await putBlob(redis, result.modelBytes!, limits.maxModelBytes, 'the model', limits.ttlSeconds);
    await redis.del(checkpointKey(jobId));
    log(
      `trial ${jobId}: done${result.resumedFrom > 0 ? ` (resumed at ${result.unit} ${result.resumedFrom})` : ''}, ${describeScore(result.metrics!)}`,
    );
    return {
      metrics: result.metrics!,
      trainCost: result.trainCost!,
      model,
      worker: result.worker,
      attempts,
      threads: result.threads,
      blasCore: result.blasCore,
      resumedFrom: result.resumedFrom,
      total: result.total!,
      unit: result.unit!,
      elapsedMs: result.elapsedMs,
    };
  };

  const workerConnection = connectRedis(options.redis);
  const worker = new Worker(options.queue ?? DEFAULT_QUEUE, processTrial, {
    connection: workerConnection,
    prefix: PREFIX,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    // a trial may lose its worker a few times (machines going away) before it is given up
    maxStalledCount: 5,
  });
  worker.on('error', (error) => log(`worker: ${error.message}`));
  await worker.waitUntilReady();
  log(`worker ${name}: serving queue ${options.queue ?? DEFAULT_QUEUE}, ${concurrency} trials at once`);

  const handBack = () => {
    for (const flag of running) Atomics.store(flag, 0, 1);
  };
  return {
    name,
    handBack,
    async close(now = false) {
      if (now) handBack();
      await worker.close();
      await pool.destroy();
      redis.disconnect();
      workerConnection.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The submitting side

export interface RemoteRunOptions {
  redis: string;
  queue?: string;
  limits?: Partial<StoreLimits>;
  signal?: AbortSignal;
  /** retries of a trial that failed for a reason other than its own options (a lost connection, ...) */
  attempts?: number;
  onProgress?: (progress: RemoteProgress) => void;
}

export type RemoteOutcome =
  | { index: number; status: 'done'; result: RemoteTrialResult; modelBytes: Buffer }
  | { index: number; status: 'failed'; error: string }
  | { index: number; status: 'cancelled' };

/** Submits the trials (their data stored once), waits for them, and fetches every finished trial's model. */
export async function runOnRedis(
  trials: readonly TrialJob[],
  dataBytes: Uint8Array,
  options: RemoteRunOptions,
  onOutcome: (outcome: RemoteOutcome) => void,
): Promise<void> {
  const limits = { ...DEFAULT_STORE_LIMITS, ...options.limits };
  const queueName = options.queue ?? DEFAULT_QUEUE;
  // BullMQ leaves connections it was given open on close(): these three are closed here, at the end
  const redis = await openRedis(options.redis);
  const queueConnection = connectRedis(options.redis);
  const eventsConnection = connectRedis(options.redis);
  const queue = new Queue(queueName, { connection: queueConnection, prefix: PREFIX });
  const events = new QueueEvents(queueName, { connection: eventsConnection, prefix: PREFIX });
  // a lost connection is retried by ioredis; the waiting trials see its errors
  queue.on('error', () => {});
  events.on('error', () => {});
  // every waiting trial listens on both until it finishes: not a leak
  queue.setMaxListeners(trials.length + 10);
  events.setMaxListeners(trials.length + 10);
  const jobIds = new Map<string, number>();
  try {
    await putBlob(redis, dataBytes, limits.maxDataBytes, 'the sweep data', limits.ttlSeconds);
    await events.waitUntilReady();
    events.on('progress', ({ jobId, data }) => {
      if (jobIds.has(jobId) && typeof data === 'object') options.onProgress?.(data as unknown as RemoteProgress);
    });
    const jobs = await queue.addBulk(
      trials.map((trial) => {
        const jobId = `${trial.sweep}-${trial.index}`;
        jobIds.set(jobId, trial.index);
        return {
          name: 'trial',
          data: trial,
          opts: {
            jobId,
            attempts: options.attempts ?? 3,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: { age: limits.ttlSeconds },
            removeOnFail: { age: limits.ttlSeconds },
          },
        };
      }),
    );
    const cancelled = new Promise<'cancelled'>((resolve) => {
      if (options.signal?.aborted) resolve('cancelled');
      options.signal?.addEventListener('abort', () => resolve('cancelled'), { once: true });
    });
    await Promise.all(
      jobs.map(async (job, k) => {
        const index = trials[k].index;
        let finished: RemoteTrialResult | 'cancelled';
        try {
          finished = await Promise.race([job.waitUntilFinished(events) as Promise<RemoteTrialResult>, cancelled]);
        } catch (error) {
          onOutcome({ index, status: 'failed', error: (error as Error).message });
          return;
        }
        if (finished === 'cancelled') {
          // a waiting trial is removed; one a worker is training cannot be, and its result is not waited for
          await job.remove().catch(() => {});
          onOutcome({ index, status: 'cancelled' });
          return;
        }
        try {
          const modelBytes = await getBlob(redis, finished.model, limits.maxModelBytes, 'the model');
          onOutcome({ index, status: 'done', result: finished, modelBytes });
        } catch (error) {
          onOutcome({ index, status: 'failed', error: (error as Error).message });
        }
      }),
    );
  } finally {
    await events.close();
    await queue.close();
    for (const connection of [redis, queueConnection, eventsConnection]) connection.disconnect();
  }
}
