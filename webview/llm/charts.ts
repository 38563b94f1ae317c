/**
 * Chart.js set-up for the LLM panel on the shared theme (webview/shared/theme.ts): text, grid, axes and tooltip
 * from VS Code's CSS variables, restyled when the theme changes; series colours from its colour-blind-safe palette;
 * and error bars on bar charts.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip,
  type ChartConfiguration, type Plugin,
} from 'chart.js';
import { applyChartTheme, chartOptions, onThemeChange, readTheme, withAlpha, type ChartTheme } from '../shared/theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);

/**
 * Series colours come from the shared theme (webview/shared/theme.ts: Okabe & Ito's palette, led by sky blue on
 * dark backgrounds) by index: a dataset says `colorIndex: 2` (or one index per bar, `colorIndex: [0, 1]`) and
 * gets that colour now and again after every theme switch, as do the axes, grid, legend and tooltip.
 */
export type ColorIndex = number | number[];

const charts = new Set<Chart>();
let theme: ChartTheme = readTheme();

/** The colour for `i` in the current theme (for anything drawn beside a chart, e.g. a legend swatch). */
export function seriesColor(i: number, t: ChartTheme = theme): string {
  return t.palette[((i % t.palette.length) + t.palette.length) % t.palette.length];
}

/** Sets each dataset's colours from its `colorIndex`: lines and points in the colour, bars and points filled. */
function colorize(chart: Chart, t: ChartTheme): void {
  for (const ds of chart.data.datasets) {
    const idx = (ds as { colorIndex?: ColorIndex }).colorIndex;
    if (idx === undefined) continue;
    const c = Array.isArray(idx) ? idx.map((i) => seriesColor(i, t)) : seriesColor(idx, t);
    Object.assign(ds, { borderColor: c, backgroundColor: c, pointBorderColor: c, pointBackgroundColor: Array.isArray(c) ? c : withAlpha(c, 0.85) });
  }
}

onThemeChange((t) => {
  theme = t;
  for (const c of charts) colorize(c, t);
  applyChartTheme(Chart, t, [...charts]);
});

/** A chart that follows the editor's theme; destroyed with `destroyChart`. */
export function makeChart<T extends 'bar' | 'line' | 'scatter'>(canvas: HTMLCanvasElement, config: ChartConfiguration<T>): Chart<T> {
  theme = readTheme();
  applyChartTheme(Chart, theme);
  const themed = chartOptions(theme) as { scales: { x: object }; plugins: { tooltip: object; legend: { labels: object } } };
  const o = (config.options ?? {}) as { scales?: Record<string, Record<string, unknown> | undefined>; plugins?: Record<string, Record<string, unknown> | undefined> };
  // Every scale (the timeline has four) in the theme's colours; the chart's own settings on top.
  const scales = Object.fromEntries(Object.entries(o.scales ?? { x: {}, y: {} }).map(([k, v]) => [k, { ...themed.scales.x, ...v, title: { ...(themed.scales.x as { title: object }).title, ...(v?.title as object | undefined) } }]));
  const plugins = { ...o.plugins, tooltip: { ...themed.plugins.tooltip, ...o.plugins?.tooltip }, legend: { ...o.plugins?.legend, labels: { ...themed.plugins.legend.labels, ...(o.plugins?.legend?.labels as object | undefined) } } };
  config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options, scales, plugins } as typeof config.options;
  const chart = new Chart(canvas, { ...config, plugins: [...(config.plugins ?? []), errorBars as Plugin<T>] } as ChartConfiguration<T>);
  colorize(chart as unknown as Chart, theme);
  chart.update('none');
  charts.add(chart as unknown as Chart);
  return chart;
}

export function destroyChart(c: Chart | undefined): void {
  if (!c) return;
  charts.delete(c);
  c.destroy();
}

/**
 * Error bars: a bar dataset with `errorBars: Array<number | undefined>` (one standard deviation per bar)
 * gets a whisker from mean − sd to mean + sd on each bar.
 */
const errorBars: Plugin = {
  id: 'mobileaiErrorBars',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    chart.data.datasets.forEach((ds, i) => {
      const sds = (ds as { errorBars?: Array<number | undefined> }).errorBars;
      const meta = chart.getDatasetMeta(i);
      if (!sds || meta.hidden || meta.type !== 'bar') return;
      const y = chart.scales[meta.yAxisID ?? 'y'];
      meta.data.forEach((bar, j) => {
        const sd = sds[j];
        const v = ds.data[j] as number | null;
        if (sd === undefined || !Number.isFinite(sd) || sd <= 0 || typeof v !== 'number') return;
        const x = (bar as unknown as { x: number }).x;
        const top = y.getPixelForValue(v + sd);
        const bottom = y.getPixelForValue(Math.max(0, v - sd));
        const w = Math.min(10, ((bar as unknown as { width?: number }).width ?? 20) / 3);
        ctx.save();
        ctx.strokeStyle = theme.foreground;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - w, top);
        ctx.lineTo(x + w, top);
        ctx.moveTo(x - w, bottom);
        ctx.lineTo(x + w, bottom);
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};

/** The Pareto front of points: maximise x and y (pass negated values to minimise). Sorted by x. */
export function paretoFront<P>(points: readonly P[], x: (p: P) => number, y: (p: P) => number): P[] {
  const sorted = [...points].sort((a, b) => x(b) - x(a) || y(b) - y(a));
  const out: P[] = [];
  let best = -Infinity;
  for (const p of sorted) if (y(p) > best) { out.push(p); best = y(p); }
  return out.reverse();
}
