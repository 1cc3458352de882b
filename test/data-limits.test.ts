// Data that does not fit: labels and images of different sets, values beyond float32, labels that float32 would
// round into a class, NaN inputs at predict time, and gzip files that expand far beyond what a limit asks for.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCsv, Matrix, Model, readIdx, readIdxDataset, writeIdx } from '../lib/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-data-limits-'));

function file(name: string, content: string | Uint8Array): string {
  const full = path.join(tmp, name);
  fs.writeFileSync(full, content);
  return full;
}

test('IDX labels and images: counts compared from the headers, before the limit', () => {
  for (const suffix of ['', '.gz']) {
    const images = path.join(tmp, `images${suffix}`),
      labels = path.join(tmp, `labels${suffix}`),
      fewer = path.join(tmp, `fewer${suffix}`);
    writeIdx(images, [5, 2, 2], new Uint8Array(20).fill(255));
    writeIdx(
      labels,
      [10],
      new Uint8Array(10).map((_, i) => i),
    );
    writeIdx(fewer, [5], new Uint8Array([4, 3, 2, 1, 0]));
    for (const limit of [undefined, 3])
      assert.throws(
        () => readIdxDataset(images, labels, { limit }),
        (e: Error) => e.message === `${labels} has 10 labels, but ${images} has 5 examples`,
      );
    const { X, labels: read } = readIdxDataset(images, fewer, { limit: 3 });
    assert.equal([X.rows, X.cols, X.get(0, 0)], [4, 3, 1]);
    assert.equal(Array.from(read), [4, 3, 2]);
  }
});

test('CSV: a value beyond float32 names its cell (counted from 1), briefly; float64 takes it', () => {
  const csv = file('huge.csv', `a,b,y\n1,2,0\n3,${'9'.repeat(301)},1\n`);
  assert.throws(
    () => loadCsv(csv, { dtype: 'float32' }),
    (e: Error) =>
      e.message ===
      `${csv} line 3, column 2 ("b"): 1e+301 is beyond the float32 range (about 3.4e+38); load the data as float64 or rescale it`,
  );
  assert.is(loadCsv(csv).X.get(1, 1), 1e301);
  const overflow = file('overflow.csv', `a,y\n${'9'.repeat(400)},1\n`);
  assert.throws(
    () => loadCsv(overflow),
    (e: Error) => e.message.length < 200 && /line 2, column 1 \("a"\): 9{37}\.\.\. is too large/.test(e.message),
  );
});

test('CSV: a float32 label that rounds to a whole number is refused, not taken as that class', () => {
  const csv = file('labels.csv', 'a,y\n1,0\n2,2.00000001\n3,1\n');
  assert.throws(
    () => loadCsv(csv, { dtype: 'float32', labels: 'any' }),
    (e: Error) =>
      e.message ===
      `${csv} line 3, column 2 ("y"): label 2.00000001 is not a whole number, but float32 rounds it to 2; labels must be exact`,
  );
  assert.is(loadCsv(csv, { labels: 'any' }).Y.get(0, 1), 2.00000001);
  assert.equal(Array.from(loadCsv(file('ok.csv', 'a,y\n1,0.5\n'), { dtype: 'float32', labels: 'any' }).Y.data), [0.5]);
});

test('predict and evaluate refuse NaN and infinite inputs instead of returning a class', () => {
  for (const output of ['sigmoid', 'softmax'] as const) {
    const model = new Model({ layerDims: [3, 4, output === 'softmax' ? 3 : 1], output, seed: 1 });
    const X = Matrix.fromRows([
      [1, 0, 2],
      [0, Number.NaN, 1],
      [1, 1, Number.POSITIVE_INFINITY],
    ]);
    const Y = output === 'softmax' ? [0, 0, 0] : Matrix.fromRows([[0, 0, 0]]);
    const says = (e: Error) =>
      e instanceof RangeError && e.message === 'X must hold finite numbers; X[1][1] is NaN (feature 2 of example 2)';
    assert.throws(() => model.predict(X), says);
    assert.throws(() => model.predictProba(X), says);
    assert.throws(() => model.evaluate(X, Y), says);
  }
});

test('gzip IDX: a limit decompresses only what it needs; more data than the header declares is refused', () => {
  const count = 20000,
    pixels = 784;
  const raw = Buffer.alloc(16 + count * pixels); // zero pixels: 15.7 MB that compress to about 15 KB
  raw.set([0, 0, 8, 3]);
  raw.writeUInt32BE(count, 4);
  raw.writeUInt32BE(28, 8);
  raw.writeUInt32BE(28, 12);
  const gz = file('many.idx.gz', zlib.gzipSync(raw));
  assert.ok(fs.statSync(gz).size < 100_000);
  const few = readIdx(gz, { limit: 10 });
  assert.equal([few.count, few.data.length, few.dims], [10, 10 * pixels, [count, 28, 28]]);
  assert.ok(few.data.buffer.byteLength < 1_000_000, `holds ${few.data.buffer.byteLength} bytes`);
  assert.is(readIdx(gz).data.length, count * pixels);

  // a header that declares 10 images over 20000 images of data: refused after at most 10 images + 1 byte
  const lying = Buffer.from(raw);
  lying.writeUInt32BE(10, 4);
  const bomb = file('bomb.idx.gz', zlib.gzipSync(lying));
  assert.throws(
    () => readIdx(bomb),
    (e: Error) =>
      e.message ===
      `${bomb}: the IDX data decompresses to more than the ${16 + 10 * pixels + 1} bytes its header declares`,
  );
  assert.is(readIdx(bomb, { limit: 5 }).count, 5);
  // fewer images than the header declares: the limit that needs them says the file is truncated
  const short = file('short.idx.gz', zlib.gzipSync(raw.subarray(0, 16 + 3 * pixels)));
  assert.throws(() => readIdx(short, { limit: 5 }), /truncated IDX file/);
  assert.is(readIdx(short, { limit: 2 }).count, 2);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
