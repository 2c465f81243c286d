// The dashboard's charts. Line and bar charts are drawn by uPlot (vendored, see
// js/vendor/README.md); the hour × weekday heatmap is plain SVG (uPlot has none). Counts the
// server hid under the k-anonymity floor arrive as null and are shown as "<5", never as 0.

import uPlot from './vendor/uplot.esm.js';
import { h, clear } from './dom.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** "<5" for a hidden count, the number otherwise. */
export function cell(value) {
  return value === null || value === undefined ? t('adm.hidden') : String(value);
}

/**
 * Hour of day (columns) × weekday (rows) from `by=weekday_hour` rows ({key: "mon-08", …}).
 * Shade by `field`; hidden cells are hatched and read "<5".
 */
export function heatmap(root, rows, field) {
  const values = new Map(rows.map((r) => [r.key, r[field]]));
  const max = Math.max(1, ...[...values.values()].filter((v) => typeof v === 'number'));
  // On a narrow screen the hours run down the page (24 rows × 7 columns) so each cell and
  // label stays readable; on a wide one across it.
  const vertical = (root.clientWidth || 600) < 520;
  const c = vertical ? 28 : 22;
  const left = vertical ? 30 : 44;
  const top = vertical ? 20 : 18;
  const cols = vertical ? 7 : 24;
  const rowsN = vertical ? 24 : 7;
  const box = svg('svg', {
    viewBox: `0 0 ${left + cols * c + 4} ${top + rowsN * c + 4}`, class: 'heatmap', role: 'img',
    'aria-label': t('adm.chart.heatmap.aria'),
  });
  const defs = svg('defs');
  const pattern = svg('pattern', { id: 'hidden-cell', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pattern.append(svg('rect', { width: 6, height: 6, fill: '#eef1f4' }), svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#b7bec7', 'stroke-width': 2 }));
  defs.append(pattern);
  box.append(defs);
  const hourLabel = (hour) => String(hour).padStart(2, '0');
  for (let hour = 0; hour < 24; hour += vertical ? 2 : 3) {
    box.append(vertical
      ? svg('text', { x: left - 5, y: top + hour * c + c / 2 + 4, class: 'heatmap__label', 'text-anchor': 'end' }, hourLabel(hour))
      : svg('text', { x: left + hour * c + c / 2, y: top - 6, class: 'heatmap__label', 'text-anchor': 'middle' }, hourLabel(hour)));
  }
  WEEKDAYS.forEach((day, d) => {
    box.append(vertical
      ? svg('text', { x: left + d * c + c / 2, y: top - 6, class: 'heatmap__label', 'text-anchor': 'middle' }, t(`adm.day.${day}`))
      : svg('text', { x: left - 6, y: top + d * c + c / 2 + 4, class: 'heatmap__label', 'text-anchor': 'end' }, t(`adm.day.${day}`)));
    for (let hour = 0; hour < 24; hour += 1) {
      const key = `${day}-${hourLabel(hour)}`;
      const v = values.has(key) ? values.get(key) : 0;
      const hidden = v === null;
      const share = hidden ? 0 : (v || 0) / max;
      const rect = svg('rect', {
        x: left + (vertical ? d : hour) * c + 1, y: top + (vertical ? hour : d) * c + 1,
        width: c - 2, height: c - 2, rx: 3,
        fill: hidden ? 'url(#hidden-cell)' : `rgb(${Math.round(235 - share * 204)} ${Math.round(242 - share * 147)} ${Math.round(248 - share * 109)})`,
        'data-key': key, 'data-value': hidden ? 'hidden' : String(v || 0),
      });
      rect.append(svg('title', {}, `${t(`adm.day.${day}`)} ${hourLabel(hour)}:00 — ${cell(v)}`));
      box.append(rect);
    }
  });
  clear(root).append(box, legendScale(max));
}

function legendScale(max) {
  return h('p', { class: 'chart-legend' },
    h('span', { class: 'swatch swatch--low' }), ' 0 ',
    h('span', { class: 'swatch swatch--high' }), ` ${max} `,
    h('span', { class: 'swatch swatch--hidden' }), ` ${t('adm.hidden.legend')}`);
}

const charts = new WeakMap();

/**
 * A uPlot chart in `root`: x positions with labels, and series {label, values, color,
 * bars?, axis?: 'right', counts?: true (null shown "<5")}. Redrawn whole on each call.
 */
export function plot(root, { labels, series, height = 220, yLabel = '', xLabel = '' }) {
  const old = charts.get(root);
  if (old) { old.observer.disconnect(); old.chart.destroy(); }
  clear(root);
  const x = labels.map((_, i) => i);
  const width = Math.max(260, root.clientWidth || 600);
  const hasRight = series.some((s) => s.axis === 'right');
  const opts = {
    width, height,
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] }, y: { range: (u, lo, hi) => [0, Math.max(1, hi) * 1.1] }, y2: { range: (u, lo, hi) => [0, Math.max(1, hi) * 1.1] } },
    axes: [
      { values: (u, ticks) => ticks.map((v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : '')), space: 28, gap: 4 },
      { label: yLabel, size: 48 },
      ...(hasRight ? [{ scale: 'y2', side: 1, grid: { show: false }, size: 40 }] : []),
    ],
    legend: { live: true },
    cursor: { points: { size: 6 } },
    series: [
      { label: xLabel, value: (u, v) => (v === null || v === undefined ? '' : labels[v] || '') },
      ...series.map((s) => ({
        label: s.label,
        scale: s.axis === 'right' ? 'y2' : 'y',
        stroke: s.color,
        width: 2,
        fill: s.bars ? s.color : undefined,
        paths: s.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
        points: { show: !s.bars, size: 5 },
        spanGaps: false,
        value: (u, v, si, idx) => (idx === null ? '' : (v === null || v === undefined ? (s.counts ? t('adm.hidden') : '—') : String(Math.round(v * 10) / 10))),
      })),
    ],
  };
  const data = [x, ...series.map((s) => s.values.map((v) => (v === undefined ? null : v)))];
  const chart = new uPlot(opts, data, root);
  const observer = new ResizeObserver(() => {
    const w = Math.max(260, root.clientWidth);
    if (Math.abs(w - chart.width) > 4) chart.setSize({ width: w, height });
  });
  observer.observe(root);
  charts.set(root, { chart, observer });
  return chart;
}

const SEVERITY_COLOURS = ['#9aa5b1', '#5b8fc7', '#d08a1e', '#b42318'];

/**
 * Stacked bars of sessions by their highest severity (0–3), one bar per row ({key,
 * max_severity: {"0": n|null, …}}). Hidden cells are not stacked; the bar's title lists them
 * as "<5".
 */
export function severityBars(root, rows) {
  const totals = rows.map((r) => [0, 1, 2, 3].reduce((sum, s) => sum + (r.max_severity[String(s)] || 0), 0));
  const max = Math.max(1, ...totals);
  const bw = 34; const gap = 10; const left = 40; const top = 8; const height = 160;
  const width = left + rows.length * (bw + gap) + 4;
  const box = svg('svg', { viewBox: `0 0 ${width} ${top + height + 34}`, class: 'bars', role: 'img', 'aria-label': t('adm.chart.severity.aria') });
  for (const frac of [0, 0.5, 1]) {
    const y = top + height - frac * height;
    box.append(svg('line', { x1: left - 4, x2: width, y1: y, y2: y, class: 'bars__grid' }));
    box.append(svg('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'heatmap__label' }, String(Math.round(frac * max))));
  }
  rows.forEach((r, i) => {
    const x = left + i * (bw + gap);
    let y = top + height;
    const parts = [];
    for (const s of [0, 1, 2, 3]) {
      const v = r.max_severity[String(s)];
      parts.push(`${t(`adm.sev.${s}`)}: ${cell(v)}`);
      if (!v) continue;
      const hgt = (v / max) * height;
      y -= hgt;
      box.append(svg('rect', { x, y, width: bw, height: hgt, fill: SEVERITY_COLOURS[s], 'data-severity': s }));
    }
    const g = svg('rect', { x, y: top, width: bw, height, fill: 'transparent' });
    g.append(svg('title', {}, `${r.key}\n${parts.join('\n')}`));
    box.append(g);
    box.append(svg('text', { x: x + bw / 2, y: top + height + 16, 'text-anchor': 'middle', class: 'heatmap__label' }, shortWeek(r.key)));
  });
  clear(root).append(box, h('p', { class: 'chart-legend' },
    [0, 1, 2, 3].map((s) => [h('span', { class: `swatch swatch--sev${s}` }), ` ${t(`adm.sev.${s}`)} `])));
}

function shortWeek(key) {
  const m = /W(\d+)$/.exec(key);
  return m ? `W${m[1]}` : key;
}

/** The mean of a 1–5 distribution ({"1": n|null, …}), from the visible cells only. */
export function meanMood(dist) {
  let n = 0; let sum = 0;
  for (let m = 1; m <= 5; m += 1) {
    const v = dist && dist[String(m)];
    if (typeof v === 'number') { n += v; sum += v * m; }
  }
  return n ? sum / n : null;
}
