// The trial pool: worker threads (piscina) that run trials, one OpenBLAS thread each by default, sized to the
// machine. The local sweep runs its trials here, and so does a Redis worker process (training off the main thread
// keeps BullMQ's lock renewals and Redis traffic going while a trial trains).
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { PoolResult, PoolTask } from './pool-worker';
import type { TrialProgress } from './trial';

export interface PoolRunHooks {
  onProgress?: (progress: TrialProgress) => void;
  /** checkpoint bytes at every epoch end (full batch: every tenth of the steps) (asked for only when given) */
  onCheckpoint?: (bytes: Uint8Array) => void;
}

/** The machine's cores: the default number of trials at once. */
export function machineConcurrency(): number {
  return os.availableParallelism();
}

// Installed, the pool runs the compiled pool-worker.js; from the sources (tests, tsx) the .ts file, which the
// threads load through the --import tsx they inherit.
const WORKER_FILE = path.join(__dirname, `pool-worker${path.extname(__filename)}`);

export class TrialPool {
  private readonly pool: Piscina<PoolTask, PoolResult>;

  constructor(readonly size: number = machineConcurrency()) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    // Every thread stays up for the pool's life: a thread keeps its decoded data between trials.
    this.pool = new Piscina({ filename: WORKER_FILE, minThreads: size, maxThreads: size, idleTimeout: 2 ** 31 - 1 });
  }

  /**
   * Runs one trial in a thread; rejects on an error of the trial's setup. To stop a trial, set its stopFlag: a
   * thread is never terminated while it trains (that would unwind through the native code).
   */
  async run(task: Omit<PoolTask, 'port' | 'wantCheckpoints'>, hooks: PoolRunHooks = {}): Promise<PoolResult> {
    const channel = new MessageChannel();
    let finished = false;
    channel.port1.on('message', (message) => {
      // the result comes through piscina's own port, so late messages are possible: they are stale then
      if (finished) return;
      if (message.type === 'progress') hooks.onProgress?.(message.progress);
      else if (message.type === 'checkpoint') hooks.onCheckpoint?.(message.bytes);
    });
    try {
      return await this.pool.run(
        { ...task, port: channel.port2, wantCheckpoints: hooks.onCheckpoint !== undefined },
        { transferList: [channel.port2] },
      );
    } finally {
      finished = true;
      channel.port1.close();
    }
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
