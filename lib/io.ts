// The one file reader and the one atomic writer of the library and the app: model files, data files, predictions,
// plots and checkpoints all go through them.
// Reading: regular files only (a device such as /dev/zero or a pipe such as /dev/stdin would read without end or
// block), with a size cap, and errors that name the file. Writing: a temporary file beside the target, every byte
// written or an error, fsync, then a rename over the target, so a crash or a full disk leaves the old file or the
// new one, never half of one. Links are followed to their target, special files (/dev/null) are written directly,
// an existing file keeps its mode, and a file the caller reads from is never overwritten.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Files larger than this are refused unless the caller allows more. */
export const DEFAULT_MAX_READ_BYTES = 4 * 1024 ** 3;

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  return (error as Error).message;
}

/**
 * The bytes of a regular file. `what` names it in errors ("model file", "data file"); files over `maxBytes`
 * (default 4 GiB) are refused before they are read.
 */
export function readFileChecked(file: string, what: string, maxBytes = DEFAULT_MAX_READ_BYTES): Buffer {
  const { fd, size } = openRegularFile(file, what, maxBytes);
  try {
    const bytes = Buffer.allocUnsafe(size);
    readFully(fd, bytes, 0, file, what);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens a regular file for reading and returns its descriptor and size (the caller closes it). A device, pipe,
 * socket or directory is refused, and so is a file over `maxBytes`, before anything is read.
 */
export function openRegularFile(file: string, what: string, maxBytes = DEFAULT_MAX_READ_BYTES): OpenFile {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: no such ${what}`);
    throw new Error(`${file}: cannot read the ${what}: ${reason(error)}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new Error(`${file}: is a directory, not a ${what}`);
    if (!stat.isFile()) throw new Error(`${file}: not a regular file (a device, pipe or socket); give a ${what}`);
    if (stat.size > maxBytes)
      throw new Error(`${file}: the ${what} has ${stat.size} bytes, more than the ${maxBytes} allowed`);
    return { fd, size: stat.size };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

export interface OpenFile {
  fd: number;
  size: number;
}

/** Fills `into` from the file's byte `position` on; an error naming the file if it ends first or cannot be read. */
export function readFully(fd: number, into: Uint8Array, position: number, file: string, what: string): void {
  let filled = 0;
  while (filled < into.length) {
    let read: number;
    try {
      read = fs.readSync(fd, into, filled, into.length - filled, position + filled);
    } catch (error) {
      throw new Error(`${file}: cannot read the ${what}: ${reason(error)}`);
    }
    if (read === 0) throw new Error(`${file}: the ${what} shrank while it was read`);
    filled += read;
  }
}

/** The file a path ends at: links followed (also a dangling one, to where it points). */
function finalTarget(target: string): string {
  let current = path.resolve(target);
  for (let hops = 0; hops < 40; hops++) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch {
      return current; // does not exist yet: it will be created here
    }
    if (!stat.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), fs.readlinkSync(current));
  }
  throw new Error(`${target}: too many levels of symbolic links`);
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Whether two paths name the same existing file (links followed). */
export function isSameFile(a: string, b: string): boolean {
  try {
    return sameFile(fs.statSync(a), fs.statSync(b));
  } catch {
    return false;
  }
}

// Temporary names carry the writer's pid, so a leftover from a killed process can be told from a live writer's.
const TEMPORARY = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Removes temporary files of `base` left in `dir` by processes that no longer run (a kill -9 mid-save). */
function removeStaleTemporaries(dir: string, base: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry);
    if (match === null || match[1] !== base) continue;
    const pid = Number(match[2]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // the writer is alive
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    fs.rmSync(path.join(dir, entry), { force: true });
  }
}

// /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N
const STANDARD_STREAM = /^\/dev\/(?:(stdout|stderr)|fd\/(\d+))$|^\/proc\/self\/fd\/(\d+)$/;

function writeAll(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) {
    try {
      written += fs.writeSync(fd, data, written, data.length - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error; // a non-blocking pipe that is full
    }
  }
}

export interface WriteOptions {
  /** files the caller reads from: writing over one of them is refused */
  inputs?: readonly string[];
  /** what the file is, for messages (default "file") */
  what?: string;
}

/** Writes `data` to `target` atomically (see the top of this file); throws, naming the file, when it cannot. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const what = options.what ?? 'file';
  let existing: fs.Stats | null = null;
  try {
    existing = fs.statSync(target);
  } catch {
    existing = null;
  }
  // A special file is written through its own path (the kernel follows /dev/stdout -> /proc/self/fd/1 -> a pipe,
  // which readlink cannot); a regular file through the end of its links, beside which the temporary goes.
  const file = existing !== null && !existing.isFile() ? target : finalTarget(target);
  for (const input of options.inputs ?? []) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      continue;
    }
    if (existing !== null && sameFile(existing, stat))
      throw new Error(`${target}: refusing to overwrite ${input}, which this command reads; choose another output`);
  }
  if (existing?.isDirectory()) throw new Error(`${target}: is a directory; give a file name`);
  const standardStream = STANDARD_STREAM.exec(target);
  if (standardStream !== null && existing !== null) {
    // the process's own stdout or stderr: write to the open descriptor, at its offset (a socket cannot be reopened by
    // its path, and a rename would replace the file a shell redirected the output to, leaving later lines behind)
    const fd =
      standardStream[1] !== undefined
        ? standardStream[1] === 'stdout'
          ? 1
          : 2
        : Number(standardStream[2] ?? standardStream[3]);
    try {
      writeAll(fd, bytes);
    } catch (error) {
      throw new Error(`${target}: cannot write the ${what}: ${reason(error)}`);
    }
    return;
  }
  if (existing !== null && !existing.isFile()) {
    // a device or pipe (/dev/null, /dev/stdout): renaming over it would replace it with a regular file
    try {
      const fd = fs.openSync(file, 'w');
      try {
        writeAll(fd, bytes);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      throw new Error(`${target}: cannot write the ${what}: ${reason(error)}`);
    }
    return;
  }
  const dir = path.dirname(file),
    base = path.basename(file);
  removeStaleTemporaries(dir, base);
  const temporary = path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(temporary, 'wx', existing !== null ? existing.mode & 0o7777 : 0o666);
  } catch (error) {
    throw new Error(`${target}: cannot write the ${what}: ${reason(error)}`);
  }
  try {
    if (existing !== null) fs.fchmodSync(fd, existing.mode & 0o7777); // the umask must not change a kept mode
    writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(temporary, file);
  } catch (error) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    const kept = existing !== null ? '; the previous file is unchanged' : '';
    throw new Error(`${target}: cannot write the ${what}: ${reason(error)}${kept}`);
  }
  try {
    // make the rename itself durable
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the file itself is already flushed
  }
}
