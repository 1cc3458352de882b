// The cost curve as an image a person can open: a PNG (drawn here, with a built-in 5 x 7 pixel font, so it needs
// no font file and no dependency) or an SVG (text left to the viewer's fonts). The format follows the file's
// extension. Both come from one layout: the same axes, "nice" ticks (1, 2 or 5 x 10^k), grid, title and labels.
import fs from 'node:fs';
import nodePath from 'node:path';
import zlib from 'node:zlib';
import { describe } from '../checks';

export interface PlotPoint {
  x: number;
  y: number;
}

export interface PlotSeries {
  /** Shown in a legend (drawn when a series has a name or there are several). */
  name?: string;
  points: readonly PlotPoint[];
}

/** One curve as y values at x = 0, 1, 2, ..., one curve as points, or several named curves. */
export type PlotData = readonly number[] | readonly PlotPoint[] | readonly PlotSeries[];

export interface PlotOptions {
  title?: string;
  /** Default 'iteration'. */
  xLabel?: string;
  /** Default 'cost'. */
  yLabel?: string;
  /** Image size in pixels (default 800 x 500). */
  width?: number;
  height?: number;
}

export interface PlotFileOptions extends PlotOptions {
  /** Where to write: *.png or *.svg. Written atomically (a temporary file, then a rename). */
  path: string;
  /** Overrides the format the extension gives. */
  format?: 'png' | 'svg';
}

type Rgb = readonly [number, number, number];

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
const TEXT: Rgb = [40, 40, 40];
// The usual categorical palette (matplotlib's first colours): blue, orange, green, red, purple.
const SERIES_COLOURS: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];

// ---------------------------------------------------------------------------------------------------------
// Input

function isPoint(value: unknown): value is PlotPoint {
  return typeof value === 'object' && value !== null && 'x' in value && 'y' in value;
}

function requireFinite(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
  return value;
}

function normaliseSeries(data: PlotData): PlotSeries[] {
  if (!Array.isArray(data) || data.length === 0)
    throw new TypeError(
      `costs must be a non-empty array of numbers, of {x, y} points or of series, got ${describe(data)}`,
    );
  const first: unknown = data[0];
  if (typeof first === 'number') {
    return [{ points: (data as readonly unknown[]).map((y, i) => ({ x: i, y: requireFinite(y, `costs[${i}]`) })) }];
  }
  const checkPoints = (points: readonly unknown[], name: string): PlotPoint[] =>
    points.map((p, i) => {
      if (!isPoint(p)) throw new TypeError(`${name}[${i}] must be an {x, y} point, got ${describe(p)}`);
      return { x: requireFinite(p.x, `${name}[${i}].x`), y: requireFinite(p.y, `${name}[${i}].y`) };
    });
  if (isPoint(first)) return [{ points: checkPoints(data as readonly unknown[], 'costs') }];
  return (data as readonly unknown[]).map((s, k) => {
    if (typeof s !== 'object' || s === null || !Array.isArray((s as PlotSeries).points))
      throw new TypeError(`costs[${k}] must be a series {name?, points}, got ${describe(s)}`);
    const series = s as PlotSeries;
    if (series.points.length === 0) throw new RangeError(`costs[${k}].points must not be empty`);
    if (series.name !== undefined && typeof series.name !== 'string')
      throw new TypeError(`costs[${k}].name must be a string, got ${describe(series.name)}`);
    return { name: series.name, points: checkPoints(series.points, `costs[${k}].points`) };
  });
}

function requireSize(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 200 || value > 8000)
    throw new RangeError(`${name} must be an integer number of pixels in 200..8000, got ${describe(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Layout: everything both renderers need, in pixels (y grows downward).

interface Tick {
  value: number;
  label: string;
  /** Pixel position along its axis. */
  at: number;
}

interface Layout {
  width: number;
  height: number;
  /** The title, word-wrapped to the image's width (empty without a title). */
  titleLines: string[];
  xLabel: string;
  yLabel: string;
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  series: { name?: string; colour: Rgb; pixels: [number, number][] }[];
  legend: boolean;
}

/** A step of 1, 2 or 5 x 10^k giving about `target` intervals over span. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * magnitude;
}

/** The axis range and tick values covering [min, max], widened when the data has no extent. */
function niceAxis(
  min: number,
  max: number,
  target: number,
  integers: boolean,
): { lo: number; hi: number; ticks: number[]; step: number } {
  if (max - min <= Math.abs(max) * 1e-12 || max === min) {
    const pad = integers ? 1 : Math.abs(max) > 0 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  let step = niceStep(max - min, target);
  if (integers) step = Math.max(1, Math.round(step));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-9; k++) ticks.push(lo + k * step);
  return { lo, hi, ticks, step };
}

/** Labels for an axis's ticks, all with the same number of decimals (and one exponent for very large or small values). */
function formatTicks(values: readonly number[], step: number): string[] {
  const largest = Math.max(...values.map(Math.abs));
  const decimalsFor = (unit: number) => Math.max(0, Math.ceil(-Math.log10(unit) - 1e-9));
  if (largest >= 1e6 || largest < 1e-3) {
    const exponent = Math.floor(Math.log10(largest));
    const scale = 10 ** exponent;
    const decimals = decimalsFor(step / scale);
    return values.map((v) => (Math.abs(v) < step * 1e-9 ? '0' : `${(v / scale).toFixed(decimals)}e${exponent}`));
  }
  const decimals = decimalsFor(step);
  return values.map((v) => (Math.abs(v) < step * 1e-9 ? '0' : v.toFixed(decimals)));
}

/** Words into at most maxLines lines of at most maxChars characters (long words cut, the rest elided). */
function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (word.length > maxChars) {
      if (line) lines.push(line);
      lines.push(word.slice(0, maxChars));
      word = word.slice(maxChars);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= maxChars) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1].slice(0, maxChars - 3)}...`;
  }
  return lines;
}

function layout(data: PlotData, options: PlotOptions): Layout {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  const input = normaliseSeries(data);
  const width = requireSize(options.width, 'width', 800);
  const height = requireSize(options.height, 'height', 500);
  const text = (value: unknown, name: string, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
    return value;
  };
  const title = text(options.title, 'title', '');
  const xLabel = text(options.xLabel, 'xLabel', 'iteration');
  const yLabel = text(options.yLabel, 'yLabel', 'cost');

  let xMin = Infinity,
    xMax = -Infinity,
    yMin = Infinity,
    yMax = -Infinity;
  for (const s of input)
    for (const p of s.points) {
      xMin = Math.min(xMin, p.x);
      xMax = Math.max(xMax, p.x);
      yMin = Math.min(yMin, p.y);
      yMax = Math.max(yMax, p.y);
    }
  const xIntegers = input.every((s) => s.points.every((p) => Number.isInteger(p.x)));
  const yAxis = niceAxis(yMin, yMax, Math.max(2, Math.min(8, Math.floor((height - 120) / 50))), false);
  const yTickLabels = formatTicks(yAxis.ticks, yAxis.step);
  // Fewer x ticks until their labels fit side by side with a gap (the plot is about width - 150 pixels wide).
  let xAxis = niceAxis(xMin, xMax, 10, xIntegers);
  let xTickLabels = formatTicks(xAxis.ticks, xAxis.step);
  for (let target = 10; target > 1; target--) {
    xAxis = niceAxis(xMin, xMax, target, xIntegers);
    xTickLabels = formatTicks(xAxis.ticks, xAxis.step);
    const widest = Math.max(...xTickLabels.map((l) => textWidth(l, TEXT_SCALE)));
    if ((widest + 16) * xAxis.ticks.length <= width - 150) break;
  }
  const yTickWidth = Math.max(...yTickLabels.map((l) => textWidth(l, TEXT_SCALE)));

  const titleLines = wrapText(title, Math.floor((width - 40) / (FONT_ADVANCE * TEXT_SCALE)), 3);
  const lastXLabel = xTickLabels[xTickLabels.length - 1];
  const plot = {
    left: 14 + FONT_HEIGHT * TEXT_SCALE + 14 + yTickWidth + 10,
    top: 20 + titleLines.length * TITLE_LINE_HEIGHT + (titleLines.length ? 8 : 0),
    right: width - Math.max(30, textWidth(lastXLabel, TEXT_SCALE) / 2 + 8),
    bottom: height - (12 + FONT_HEIGHT * TEXT_SCALE + 12 + FONT_HEIGHT * TEXT_SCALE + 14),
  };
  const xToPixel = (x: number) => plot.left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * (plot.right - plot.left);
  const yToPixel = (y: number) => plot.bottom - ((y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * (plot.bottom - plot.top);
  return {
    width,
    height,
    titleLines,
    xLabel,
    yLabel,
    plot,
    xTicks: xAxis.ticks.map((v, i) => ({ value: v, label: xTickLabels[i], at: xToPixel(v) })),
    yTicks: yAxis.ticks.map((v, i) => ({ value: v, label: yTickLabels[i], at: yToPixel(v) })),
    series: input.map((s, k) => ({
      name: s.name,
      colour: SERIES_COLOURS[k % SERIES_COLOURS.length],
      pixels: s.points.map((p) => [xToPixel(p.x), yToPixel(p.y)] as [number, number]),
    })),
    legend: input.length > 1 || input.some((s) => s.name !== undefined && s.name !== ''),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The built-in font: 5 x 7 pixel glyphs on a baseline, rows top to bottom ('#' on), with two more rows below
// the baseline for descenders (g, j, p, q, y, comma, semicolon). Drawn at an integer scale.

const FONT_WIDTH = 5;
const FONT_HEIGHT = 7;
const FONT_ADVANCE = FONT_WIDTH + 1;
/** Every text is drawn at twice the font's size: 10 x 14 pixel capitals. */
const TEXT_SCALE = 2;
const TITLE_LINE_HEIGHT = FONT_HEIGHT * TEXT_SCALE + 8;

const GLYPHS: Record<string, string> = {
  ' ': '...../...../...../...../...../...../.....',
  '!': '..#../..#../..#../..#../..#../...../..#..',
  '"': '.#.#./.#.#./...../...../...../...../.....',
  '#': '.#.#./.#.#./#####/.#.#./#####/.#.#./.#.#.',
  $: '..#../.####/#.#../.###./..#.#/####./..#..',
  '%': '##.../##..#/...#./..#../.#.../#..##/...##',
  '&': '.##../#..#./#.#../.#.../#.#.#/#..#./.##.#',
  "'": '..#../..#../...../...../...../...../.....',
  '(': '...#./..#../.#.../.#.../.#.../..#../...#.',
  ')': '.#.../..#../...#./...#./...#./..#../.#...',
  '*': '...../..#../#.#.#/.###./#.#.#/..#../.....',
  '+': '...../..#../..#../#####/..#../..#../.....',
  ',': '...../...../...../...../...../.##../.##../..#../.#...',
  '-': '...../...../...../#####/...../...../.....',
  '.': '...../...../...../...../...../.##../.##..',
  '/': '...../....#/...#./..#../.#.../#..../.....',
  '0': '.###./#...#/#..##/#.#.#/##..#/#...#/.###.',
  '1': '..#../.##../..#../..#../..#../..#../.###.',
  '2': '.###./#...#/....#/...#./..#../.#.../#####',
  '3': '#####/...#./..#../...#./....#/#...#/.###.',
  '4': '...#./..##./.#.#./#..#./#####/...#./...#.',
  '5': '#####/#..../####./....#/....#/#...#/.###.',
  '6': '..##./.#.../#..../####./#...#/#...#/.###.',
  '7': '#####/....#/...#./..#../.#.../.#.../.#...',
  '8': '.###./#...#/#...#/.###./#...#/#...#/.###.',
  '9': '.###./#...#/#...#/.####/....#/...#./.##..',
  ':': '...../.##../.##../...../.##../.##../.....',
  ';': '...../...../.##../.##../...../.##../.##../..#../.#...',
  '<': '...#./..#../.#.../#..../.#.../..#../...#.',
  '=': '...../...../#####/...../#####/...../.....',
  '>': '.#.../..#../...#./....#/...#./..#../.#...',
  '?': '.###./#...#/....#/...#./..#../...../..#..',
  '@': '.###./#...#/....#/.##.#/#.#.#/#.#.#/.###.',
  A: '.###./#...#/#...#/#####/#...#/#...#/#...#',
  B: '####./#...#/#...#/####./#...#/#...#/####.',
  C: '.###./#...#/#..../#..../#..../#...#/.###.',
  D: '###../#..#./#...#/#...#/#...#/#..#./###..',
  E: '#####/#..../#..../####./#..../#..../#####',
  F: '#####/#..../#..../####./#..../#..../#....',
  G: '.###./#...#/#..../#.###/#...#/#...#/.####',
  H: '#...#/#...#/#...#/#####/#...#/#...#/#...#',
  I: '.###./..#../..#../..#../..#../..#../.###.',
  J: '..###/...#./...#./...#./...#./#..#./.##..',
  K: '#...#/#..#./#.#../##.../#.#../#..#./#...#',
  L: '#..../#..../#..../#..../#..../#..../#####',
  M: '#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#',
  N: '#...#/#...#/##..#/#.#.#/#..##/#...#/#...#',
  O: '.###./#...#/#...#/#...#/#...#/#...#/.###.',
  P: '####./#...#/#...#/####./#..../#..../#....',
  Q: '.###./#...#/#...#/#...#/#.#.#/#..#./.##.#',
  R: '####./#...#/#...#/####./#.#../#..#./#...#',
  S: '.####/#..../#..../.###./....#/....#/####.',
  T: '#####/..#../..#../..#../..#../..#../..#..',
  U: '#...#/#...#/#...#/#...#/#...#/#...#/.###.',
  V: '#...#/#...#/#...#/#...#/#...#/.#.#./..#..',
  W: '#...#/#...#/#...#/#.#.#/#.#.#/#.#.#/.#.#.',
  X: '#...#/#...#/.#.#./..#../.#.#./#...#/#...#',
  Y: '#...#/#...#/#...#/.#.#./..#../..#../..#..',
  Z: '#####/....#/...#./..#../.#.../#..../#####',
  '[': '.###./.#.../.#.../.#.../.#.../.#.../.###.',
  '\\': '...../#..../.#.../..#../...#./....#/.....',
  ']': '.###./...#./...#./...#./...#./...#./.###.',
  '^': '..#../.#.#./#...#/...../...../...../.....',
  _: '...../...../...../...../...../...../#####',
  '`': '.#.../..#../...../...../...../...../.....',
  a: '...../...../.###./....#/.####/#...#/.####',
  b: '#..../#..../#.##./##..#/#...#/#...#/####.',
  c: '...../...../.###./#..../#..../#...#/.###.',
  d: '....#/....#/.##.#/#..##/#...#/#...#/.####',
  e: '...../...../.###./#...#/#####/#..../.###.',
  f: '..##./.#..#/.#.../###../.#.../.#.../.#...',
  g: '...../...../.####/#...#/#...#/#...#/.####/....#/.###.',
  h: '#..../#..../#.##./##..#/#...#/#...#/#...#',
  i: '..#../...../.##../..#../..#../..#../.###.',
  j: '...#./...../..##./...#./...#./...#./...#./#..#./.##..',
  k: '#..../#..../#..#./#.#../##.../#.#../#..#.',
  l: '.##../..#../..#../..#../..#../..#../.###.',
  m: '...../...../##.#./#.#.#/#.#.#/#.#.#/#.#.#',
  n: '...../...../#.##./##..#/#...#/#...#/#...#',
  o: '...../...../.###./#...#/#...#/#...#/.###.',
  p: '...../...../####./#...#/#...#/#...#/####./#..../#....',
  q: '...../...../.####/#...#/#...#/#...#/.####/....#/....#',
  r: '...../...../#.##./##..#/#..../#..../#....',
  s: '...../...../.####/#..../.###./....#/####.',
  t: '.#.../.#.../###../.#.../.#.../.#..#/..##.',
  u: '...../...../#...#/#...#/#...#/#..##/.##.#',
  v: '...../...../#...#/#...#/#...#/.#.#./..#..',
  w: '...../...../#...#/#...#/#.#.#/#.#.#/.#.#.',
  x: '...../...../#...#/.#.#./..#../.#.#./#...#',
  y: '...../...../#...#/#...#/#...#/#...#/.####/....#/.###.',
  z: '...../...../#####/...#./..#../.#.../#####',
  '{': '...#./..#../..#../.#.../..#../..#../...#.',
  '|': '..#../..#../..#../..#../..#../..#../..#..',
  '}': '.#.../..#../..#../...#./..#../..#../.#...',
  '~': '...../...../.#.../#.#.#/...#./...../.....',
};
const UNKNOWN_GLYPH = '#####/#...#/#...#/#...#/#...#/#...#/#####';

/** Glyph rows as booleans, parsed once. */
const glyphCache = new Map<string, boolean[][]>();
function glyph(char: string): boolean[][] {
  let rows = glyphCache.get(char);
  if (!rows) {
    rows = (GLYPHS[char] ?? UNKNOWN_GLYPH).split('/').map((row) => Array.from(row, (c) => c === '#'));
    glyphCache.set(char, rows);
  }
  return rows;
}

function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * FONT_ADVANCE - 1) * scale;
}

// ---------------------------------------------------------------------------------------------------------
// PNG: an RGB canvas, anti-aliased strokes, bitmap text, and the encoder.

class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < this.pixels.length; i += 3) this.pixels.set(background, i);
  }

  /** Mixes `colour` into pixel (x, y) with opacity alpha in [0, 1]. */
  blend(x: number, y: number, colour: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = (y * this.width + x) * 3;
    const a = Math.min(1, alpha);
    for (let c = 0; c < 3; c++) this.pixels[i + c] = Math.round(this.pixels[i + c] * (1 - a) + colour[c] * a);
  }

  fillRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++)
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + w); xx++) this.blend(xx, yy, colour, 1);
  }

  /**
   * A polyline of the given width, anti-aliased: each pixel's coverage is its distance to the nearest segment,
   * taken as a maximum over segments (so joints are not painted twice), then blended once.
   */
  strokePolyline(points: readonly [number, number][], lineWidth: number, colour: Rgb): void {
    const coverage = new Map<number, number>();
    const half = lineWidth / 2;
    const segments = points.length === 1 ? [[points[0], points[0]]] : points.slice(1).map((p, k) => [points[k], p]);
    for (const [[x0, y0], [x1, y1]] of segments) {
      const dx = x1 - x0,
        dy = y1 - y0;
      const lengthSquared = dx * dx + dy * dy;
      const xLo = Math.max(0, Math.floor(Math.min(x0, x1) - half - 1)),
        xHi = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1) + half + 1));
      const yLo = Math.max(0, Math.floor(Math.min(y0, y1) - half - 1)),
        yHi = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1) + half + 1));
      for (let y = yLo; y <= yHi; y++) {
        for (let x = xLo; x <= xHi; x++) {
          // Distance from the pixel's centre to the segment.
          const px = x + 0.5 - x0,
            py = y + 0.5 - y0;
          const t = lengthSquared > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / lengthSquared)) : 0;
          const distance = Math.hypot(px - t * dx, py - t * dy);
          const c = Math.min(1, half + 0.5 - distance);
          if (c > 0) {
            const key = y * this.width + x;
            if (c > (coverage.get(key) ?? 0)) coverage.set(key, c);
          }
        }
      }
    }
    for (const [key, c] of coverage) this.blend(key % this.width, Math.floor(key / this.width), colour, c);
  }

  /** A filled, anti-aliased disc. */
  dot(cx: number, cy: number, radius: number, colour: Rgb): void {
    for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y++)
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++)
        this.blend(x, y, colour, Math.min(1, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
  }

  /**
   * Text in the built-in font at an integer scale. (x, y) is the anchor: `align` picks which horizontal point of
   * the text it is, and y is the top of the capitals. `vertical` turns the text 90 degrees anticlockwise (reading
   * upward), centred on (x, y).
   */
  text(
    text: string,
    x: number,
    y: number,
    scale: number,
    colour: Rgb,
    align: 'left' | 'center' | 'right' = 'left',
    vertical = false,
    bold = false,
  ): void {
    const width = textWidth(text, scale);
    if (vertical) {
      // Glyph column c, row r of character k goes to (x0 + r, y0 - k * advance - c) for reading bottom to top.
      const x0 = Math.round(x - (FONT_HEIGHT * scale) / 2),
        y0 = Math.round(y + width / 2);
      Array.from(text).forEach((char, k) => {
        glyph(char).forEach((row, r) =>
          row.forEach((on, c) => {
            if (on) this.fillRect(x0 + r * scale, y0 - (k * FONT_ADVANCE + c + 1) * scale, scale, scale, colour);
          }),
        );
      });
      return;
    }
    const left = Math.round(align === 'left' ? x : align === 'center' ? x - width / 2 : x - width);
    Array.from(text).forEach((char, k) => {
      glyph(char).forEach((row, r) =>
        row.forEach((on, c) => {
          if (!on) return;
          const px = left + (k * FONT_ADVANCE + c) * scale,
            py = Math.round(y) + r * scale;
          this.fillRect(px, py, scale + (bold ? 1 : 0), scale, colour);
        }),
      );
    });
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'ascii');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** An 8-bit RGB PNG of the canvas: each scanline with filter type 0 (none), deflated. */
function encodePng(canvas: Canvas): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(canvas.width, 0);
  header.writeUInt32BE(canvas.height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const stride = canvas.width * 3;
  const raw = Buffer.alloc((stride + 1) * canvas.height);
  for (let y = 0; y < canvas.height; y++)
    raw.set(canvas.pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Renders the plot as PNG bytes. */
export function costPlotPng(data: PlotData, options: PlotOptions = {}): Buffer {
  const L = layout(data, options);
  const { plot } = L;
  const canvas = new Canvas(L.width, L.height, WHITE);
  const s = TEXT_SCALE;
  const round = Math.round;

  for (const t of L.xTicks) canvas.fillRect(round(t.at), plot.top, 1, plot.bottom - plot.top, GRID);
  for (const t of L.yTicks) canvas.fillRect(plot.left, round(t.at), plot.right - plot.left, 1, GRID);
  for (const series of L.series) {
    canvas.strokePolyline(series.pixels, 2.5, series.colour);
    if (series.pixels.length <= 60) for (const [x, y] of series.pixels) canvas.dot(x, y, 3, series.colour);
  }
  // The frame, then the ticks and their labels.
  canvas.fillRect(plot.left, plot.top, plot.right - plot.left + 1, 1, BLACK);
  canvas.fillRect(plot.left, plot.bottom, plot.right - plot.left + 1, 1, BLACK);
  canvas.fillRect(plot.left, plot.top, 1, plot.bottom - plot.top + 1, BLACK);
  canvas.fillRect(plot.right, plot.top, 1, plot.bottom - plot.top + 1, BLACK);
  for (const t of L.xTicks) {
    canvas.fillRect(round(t.at), plot.bottom, 1, 6, BLACK);
    canvas.text(t.label, t.at, plot.bottom + 12, s, TEXT, 'center');
  }
  for (const t of L.yTicks) {
    canvas.fillRect(plot.left - 6, round(t.at), 6, 1, BLACK);
    canvas.text(t.label, plot.left - 10, t.at - (FONT_HEIGHT * s) / 2, s, TEXT, 'right');
  }
  const plotCentreX = (plot.left + plot.right) / 2;
  L.titleLines.forEach((line, k) =>
    canvas.text(line, L.width / 2, 20 + k * TITLE_LINE_HEIGHT, s, BLACK, 'center', false, true),
  );
  canvas.text(L.xLabel, plotCentreX, L.height - 14 - FONT_HEIGHT * s, s, BLACK, 'center');
  canvas.text(L.yLabel, 14 + (FONT_HEIGHT * s) / 2, (plot.top + plot.bottom) / 2, s, BLACK, 'center', true);

  if (L.legend) {
    const names = L.series.map((series, k) => series.name || `series ${k + 1}`);
    const lineHeight = (FONT_HEIGHT + 2) * s + 8;
    const boxWidth = 12 + 28 + 8 + Math.max(...names.map((n) => textWidth(n, s))) + 12;
    const boxHeight = names.length * lineHeight + 12;
    const left = plot.right - boxWidth - 10,
      top = plot.top + 10;
    canvas.fillRect(left, top, boxWidth, boxHeight, WHITE);
    canvas.fillRect(left, top, boxWidth, 1, GRID);
    canvas.fillRect(left, top + boxHeight - 1, boxWidth, 1, GRID);
    canvas.fillRect(left, top, 1, boxHeight, GRID);
    canvas.fillRect(left + boxWidth - 1, top, 1, boxHeight, GRID);
    names.forEach((name, k) => {
      const y = top + 10 + k * lineHeight;
      const middle = y + (FONT_HEIGHT * s) / 2;
      canvas.strokePolyline(
        [
          [left + 12, middle],
          [left + 40, middle],
        ],
        2.5,
        L.series[k].colour,
      );
      canvas.text(name, left + 48, y, s, TEXT);
    });
  }
  return encodePng(canvas);
}

// ---------------------------------------------------------------------------------------------------------
// SVG

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const rgb = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;
const fixed = (v: number) => String(Math.round(v * 100) / 100);

/** Renders the plot as an SVG document. */
export function costPlotSvg(data: PlotData, options: PlotOptions = {}): string {
  const L = layout(data, options);
  const { plot } = L;
  const fontSize = 15;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" ` +
      `font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${fontSize}">`,
  );
  if (L.titleLines.length) out.push(`<title>${escapeXml(L.titleLines.join(' '))}</title>`);
  out.push(`<rect width="${L.width}" height="${L.height}" fill="white"/>`);
  out.push(`<g stroke="${rgb(GRID)}" stroke-width="1">`);
  for (const t of L.xTicks)
    out.push(`<line x1="${fixed(t.at)}" y1="${plot.top}" x2="${fixed(t.at)}" y2="${plot.bottom}"/>`);
  for (const t of L.yTicks)
    out.push(`<line x1="${plot.left}" y1="${fixed(t.at)}" x2="${plot.right}" y2="${fixed(t.at)}"/>`);
  out.push('</g>');
  for (const series of L.series) {
    const d = series.pixels.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fixed(x)},${fixed(y)}`).join(' ');
    out.push(
      `<path class="curve" d="${d}" fill="none" stroke="${rgb(series.colour)}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    if (series.pixels.length <= 60) {
      out.push(`<g fill="${rgb(series.colour)}">`);
      for (const [x, y] of series.pixels) out.push(`<circle cx="${fixed(x)}" cy="${fixed(y)}" r="3"/>`);
      out.push('</g>');
    }
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="black"/>`,
  );
  out.push('<g stroke="black">');
  for (const t of L.xTicks)
    out.push(`<line x1="${fixed(t.at)}" y1="${plot.bottom}" x2="${fixed(t.at)}" y2="${plot.bottom + 6}"/>`);
  for (const t of L.yTicks)
    out.push(`<line x1="${plot.left - 6}" y1="${fixed(t.at)}" x2="${plot.left}" y2="${fixed(t.at)}"/>`);
  out.push('</g>');
  out.push(`<g fill="${rgb(TEXT)}">`);
  for (const t of L.xTicks)
    out.push(
      `<text x="${fixed(t.at)}" y="${plot.bottom + 12 + fontSize}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  for (const t of L.yTicks)
    out.push(
      `<text x="${plot.left - 10}" y="${fixed(t.at + fontSize * 0.35)}" text-anchor="end">${escapeXml(t.label)}</text>`,
    );
  out.push('</g>');
  const plotCentreX = fixed((plot.left + plot.right) / 2);
  L.titleLines.forEach((line, k) =>
    out.push(
      `<text x="${L.width / 2}" y="${20 + fontSize + k * TITLE_LINE_HEIGHT}" text-anchor="middle" font-weight="bold" font-size="${fontSize + 2}">${escapeXml(line)}</text>`,
    ),
  );
  out.push(`<text x="${plotCentreX}" y="${L.height - 16}" text-anchor="middle">${escapeXml(L.xLabel)}</text>`);
  const yLabelX = 14 + fontSize,
    yLabelY = fixed((plot.top + plot.bottom) / 2);
  out.push(
    `<text x="${yLabelX}" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${yLabelY})">${escapeXml(L.yLabel)}</text>`,
  );
  if (L.legend) {
    const names = L.series.map((series, k) => series.name || `series ${k + 1}`);
    const lineHeight = fontSize + 10;
    const boxWidth = 12 + 28 + 8 + Math.max(...names.map((n) => n.length * fontSize * 0.6)) + 12;
    const left = plot.right - boxWidth - 10,
      top = plot.top + 10;
    out.push(
      `<rect x="${fixed(left)}" y="${top}" width="${fixed(boxWidth)}" height="${names.length * lineHeight + 10}" fill="white" stroke="${rgb(GRID)}"/>`,
    );
    names.forEach((name, k) => {
      const middle = top + 5 + lineHeight * k + lineHeight / 2;
      out.push(
        `<line x1="${fixed(left + 12)}" y1="${middle}" x2="${fixed(left + 40)}" y2="${middle}" stroke="${rgb(L.series[k].colour)}" stroke-width="2.5"/>`,
      );
      out.push(`<text x="${fixed(left + 48)}" y="${fixed(middle + fontSize * 0.35)}">${escapeXml(name)}</text>`);
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// Writing

function formatFor(path: string, format: unknown): 'png' | 'svg' {
  if (format !== undefined) {
    if (format === 'png' || format === 'svg') return format;
    throw new TypeError(`format must be 'png' or 'svg', got ${describe(format)}`);
  }
  const extension = nodePath.extname(path).toLowerCase();
  if (extension === '.png') return 'png';
  if (extension === '.svg') return 'svg';
  throw new RangeError(`path must end in .png or .svg (the image format), got ${JSON.stringify(path)}`);
}

/**
 * Writes the cost curve to options.path as a PNG or an SVG (by its extension), atomically, and returns the path.
 * costs: y values (x = 0, 1, ...), {x, y} points, or series [{ name, points }].
 */
export function plotCosts(costs: PlotData, options: PlotFileOptions): string {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object with a path, got ${describe(options)}`);
  const path = options.path;
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`options.path must be a non-empty string, got ${describe(path)}`);
  const format = formatFor(path, options.format);
  const content = format === 'png' ? costPlotPng(costs, options) : costPlotSvg(costs, options);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, path);
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw new Error(`cannot write the plot to ${path}: ${(err as Error).message}`);
  }
  return path;
}
