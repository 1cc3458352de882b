// Runs the dnn-native command line in this process (its exported run()), capturing what it writes.
import { run } from '../../lib/cli/index';

export async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '',
    stderr = '';
  const out = process.stdout.write,
    err = process.stderr.write;
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof out;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof err;
  try {
    const status = await run(args);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
