// The cost curve as an image a person can open. One SVG document is the picture; a PNG is that SVG rasterised by
// resvg with DejaVu Sans from the dejavu-fonts-ttf package, never the system's fonts, so a PNG is the same on every
// machine. The format follows the file's extension. Axes use "nice" ticks (1, 2 or 5 x 10^k), a grid, title and labels.
import nodePath from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { describe } from '../checks';
import { writeFileAtomic } from '../io';

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

const GRID = 'rgb(225,225,225)';
const TEXT = 'rgb(40,40,40)';
// The usual categorical palette (matplotlib's first colours): blue, orange, green, red, purple.
const SERIES_COLOURS = ['rgb(31,119,180)', 'rgb(255,127,14)', 'rgb(44,160,44)', 'rgb(214,39,40)', 'rgb(148,103,189)'];

const FONT_FAMILY = 'DejaVu Sans';
const FONT_SIZE = 15;
const TITLE_SIZE = 17;
const TITLE_LINE_HEIGHT = 22;
/** From a text's top to its baseline, as a fraction of the font size (DejaVu's capitals are 0.73 em tall). */
const ASCENT = 0.8;

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
// Axes

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

/**
 * About how wide text is in DejaVu Sans, in pixels: an upper bound, good enough to make room for labels. The
 * SVG is laid out without the font at hand (a viewer may substitute another), so nothing here needs exact metrics.
 */
function textWidth(text: string, size: number, bold = false): number {
  let ems = 0;
  for (const char of text) {
    if (/[0-9]/.test(char)) ems += 0.64;
    else if (/[ .,:;'!|()[\]ijlftI]/.test(char)) ems += 0.4;
    else if (/[mwMW@%]/.test(char)) ems += 1;
    else if (/[A-Z]/.test(char)) ems += 0.78;
    else ems += 0.64;
  }
  return ems * size * (bold ? 1.12 : 1);
}

/** Words into at most maxLines lines that pass `fits` (long words cut, the rest elided with "..."). */
function wrapText(text: string, fits: (line: string) => boolean, maxLines: number): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (!fits(word)) {
      let cut = 1;
      while (cut < word.length - 1 && fits(word.slice(0, cut + 1))) cut++;
      if (line) lines.push(line);
      lines.push(word.slice(0, cut));
      word = word.slice(cut);
      line = '';
    }
    if (!line) line = word;
    else if (fits(`${line} ${word}`)) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    let last = lines[maxLines - 1];
    while (last.length > 0 && !fits(`${last}...`)) last = last.slice(0, -1);
    lines[maxLines - 1] = `${last}...`;
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Layout, in pixels (y grows downward).

interface Tick {
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
  series: { name?: string; colour: string; pixels: [number, number][] }[];
  legend: boolean;
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
    const widest = Math.max(...xTickLabels.map((l) => textWidth(l, FONT_SIZE)));
    if ((widest + 16) * xAxis.ticks.length <= width - 150) break;
  }
  const yTickWidth = Math.max(...yTickLabels.map((l) => textWidth(l, FONT_SIZE)));

  const titleLines = wrapText(title, (line) => textWidth(line, TITLE_SIZE, true) <= width - 40, 3);
  const lastXLabel = xTickLabels[xTickLabels.length - 1];
  const plot = {
    left: Math.round(14 + FONT_SIZE + 14 + yTickWidth + 10),
    top: 20 + titleLines.length * TITLE_LINE_HEIGHT + (titleLines.length ? 8 : 0),
    right: Math.round(width - Math.max(30, textWidth(lastXLabel, FONT_SIZE) / 2 + 8)),
    bottom: height - (12 + FONT_SIZE + 12 + FONT_SIZE + 14),
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
    xTicks: xAxis.ticks.map((v, i) => ({ label: xTickLabels[i], at: xToPixel(v) })),
    yTicks: yAxis.ticks.map((v, i) => ({ label: yTickLabels[i], at: yToPixel(v) })),
    series: input.map((s, k) => ({
      name: s.name,
      colour: SERIES_COLOURS[k % SERIES_COLOURS.length],
      pixels: s.points.map((p) => [xToPixel(p.x), yToPixel(p.y)] as [number, number]),
    })),
    legend: input.length > 1 || input.some((s) => s.name !== undefined && s.name !== ''),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SVG

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const fixed = (v: number) => String(Math.round(v * 100) / 100);

/** Renders the plot as an SVG document (its text names DejaVu Sans, then the viewer's usual sans-serif fonts). */
export function costPlotSvg(data: PlotData, options: PlotOptions = {}): string {
  const L = layout(data, options);
  const { plot } = L;
  const baseline = (top: number, size: number) => fixed(top + size * ASCENT);
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" ` +
      `font-family="${FONT_FAMILY}, Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
  );
  if (L.titleLines.length) out.push(`<title>${escapeXml(L.titleLines.join(' '))}</title>`);
  out.push(`<rect width="${L.width}" height="${L.height}" fill="white"/>`);
  out.push(`<g stroke="${GRID}" stroke-width="1">`);
  for (const t of L.xTicks)
    out.push(`<line x1="${fixed(t.at)}" y1="${plot.top}" x2="${fixed(t.at)}" y2="${plot.bottom}"/>`);
  for (const t of L.yTicks)
    out.push(`<line x1="${plot.left}" y1="${fixed(t.at)}" x2="${plot.right}" y2="${fixed(t.at)}"/>`);
  out.push('</g>');
  for (const series of L.series) {
    const d = series.pixels.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fixed(x)},${fixed(y)}`).join(' ');
    out.push(
      `<path class="curve" d="${d}" fill="none" stroke="${series.colour}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    // Few points: mark each one, so a short run does not look like a smooth curve.
    if (series.pixels.length <= 60) {
      out.push(`<g fill="${series.colour}">`);
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
  out.push(`<g fill="${TEXT}">`);
  for (const t of L.xTicks)
    out.push(
      `<text x="${fixed(t.at)}" y="${baseline(plot.bottom + 10, FONT_SIZE)}" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  for (const t of L.yTicks)
    out.push(
      `<text x="${plot.left - 10}" y="${fixed(t.at + FONT_SIZE * 0.36)}" text-anchor="end">${escapeXml(t.label)}</text>`,
    );
  out.push('</g>');
  L.titleLines.forEach((line, k) =>
    out.push(
      `<text x="${fixed(L.width / 2)}" y="${baseline(20 + k * TITLE_LINE_HEIGHT, TITLE_SIZE)}" text-anchor="middle" font-weight="bold" font-size="${TITLE_SIZE}">${escapeXml(line)}</text>`,
    ),
  );
  const plotCentreX = fixed((plot.left + plot.right) / 2);
  out.push(
    `<text x="${plotCentreX}" y="${baseline(L.height - 14 - FONT_SIZE, FONT_SIZE)}" text-anchor="middle">${escapeXml(L.xLabel)}</text>`,
  );
  // Turned to read upward; after the turn the baseline is the text's right edge.
  const yLabelX = fixed(14 + FONT_SIZE * ASCENT),
    yLabelY = fixed((plot.top + plot.bottom) / 2);
  out.push(
    `<text x="${yLabelX}" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${yLabelY})">${escapeXml(L.yLabel)}</text>`,
  );
  if (L.legend) {
    const names = L.series.map((series, k) => series.name || `series ${k + 1}`);
    const lineHeight = FONT_SIZE + 10;
    const boxWidth = 12 + 28 + 8 + Math.max(...names.map((n) => textWidth(n, FONT_SIZE))) + 12;
    const left = plot.right - boxWidth - 10,
      top = plot.top + 10;
    out.push(
      `<rect x="${fixed(left)}" y="${top}" width="${fixed(boxWidth)}" height="${names.length * lineHeight + 10}" fill="white" stroke="${GRID}"/>`,
    );
    names.forEach((name, k) => {
      const middle = top + 5 + lineHeight * k + lineHeight / 2;
      out.push(
        `<line x1="${fixed(left + 12)}" y1="${middle}" x2="${fixed(left + 40)}" y2="${middle}" stroke="${L.series[k].colour}" stroke-width="2.5"/>`,
      );
      out.push(
        `<text x="${fixed(left + 48)}" y="${fixed(middle + FONT_SIZE * 0.36)}" fill="${TEXT}">${escapeXml(name)}</text>`,
      );
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// PNG: the same SVG, rasterised by resvg.

type ResvgModule = typeof import('@resvg/resvg-js');
let rasteriser: { resvg: ResvgModule; options: ResvgRenderOptions } | undefined;

/**
 * Loads resvg and finds the font files on first use, not at import: `import { Model }` then never loads a second
 * native addon, and SVG plots work even where resvg's binary is missing.
 */
function loadRasteriser(): { resvg: ResvgModule; options: ResvgRenderOptions } {
  if (rasteriser) return rasteriser;
  let resvg: ResvgModule;
  try {
    resvg = require('@resvg/resvg-js') as ResvgModule;
  } catch (err) {
    throw new Error(
      `PNG plots need the package @resvg/resvg-js with its binary for ${process.platform}-${process.arch}, ` +
        `which did not load (${(err as Error).message}); reinstall dnn-native, or write an .svg file`,
      { cause: err },
    );
  }
  let fontFiles: string[];
  try {
    fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
  } catch (err) {
    throw new Error(
      `PNG plots need the package dejavu-fonts-ttf for their text, which was not found (${(err as Error).message}); ` +
        'reinstall dnn-native, or write an .svg file',
      { cause: err },
    );
  }
  // No system fonts: the same bytes on every machine, and text even where no font is installed.
  const options: ResvgRenderOptions = {
    font: { loadSystemFonts: false, fontFiles, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'original' },
    logLevel: 'off',
  };
  rasteriser = { resvg, options };
  return rasteriser;
}

/** Renders the plot as PNG bytes (8-bit RGBA): the SVG of costPlotSvg, rasterised. */
export function costPlotPng(data: PlotData, options: PlotOptions = {}): Buffer {
  const svg = costPlotSvg(data, options);
  const { resvg, options: renderOptions } = loadRasteriser();
  return new resvg.Resvg(svg, renderOptions).render().asPng();
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
  try {
    writeFileAtomic(path, content, { what: 'plot' });
  } catch (err) {
    throw new Error(`cannot write the plot to ${path}: ${(err as Error).message}`, { cause: err });
  }
  return path;
}
