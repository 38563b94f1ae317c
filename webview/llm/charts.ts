/**
 * Chart.js set-up for the LLM panel: the editor's theme (text, grid, tooltip from VS Code's CSS variables,
 * redrawn when the theme changes), a colour-blind-safe palette (Okabe & Ito), and error bars on bar charts.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip,
  type ChartConfiguration, type Plugin,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);

/** Okabe & Ito's palette (2008), distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];

export interface Theme {
  fg: string;
  muted: string;
  grid: string;
  tooltipBg: string;
  tooltipFg: string;
  tooltipBorder: string;
  font: string;
}

export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  const fg = v('--vscode-editor-foreground', v('--vscode-foreground', '#cccccc'));
  return {
    fg,
    muted: v('--vscode-descriptionForeground', fg),
    grid: v('--vscode-editorWidget-border', v('--vscode-panel-border', 'rgba(128,128,128,0.35)')),
    tooltipBg: v('--vscode-editorHoverWidget-background', v('--vscode-editorWidget-background', '#252526')),
    tooltipFg: v('--vscode-editorHoverWidget-foreground', fg),
    tooltipBorder: v('--vscode-editorHoverWidget-border', v('--vscode-contrastBorder', '#454545')),
    font: v('--vscode-font-family', 'sans-serif'),
  };
}

const charts = new Set<Chart>();

/** Applies the theme to a chart's scales, legend and tooltip. */
function themed(chart: Chart, t: Theme): void {
  const o = chart.options;
  for (const scale of Object.values(o.scales ?? {})) {
    if (!scale) continue;
    const sc = scale as { ticks?: { color?: string }; grid?: { color?: string }; border?: { color?: string }; title?: { color?: string } };
    sc.ticks = { ...sc.ticks, color: t.muted };
    sc.grid = { ...sc.grid, color: t.grid };
    sc.border = { ...sc.border, color: t.grid };
    if (sc.title) sc.title.color = t.fg;
  }
  if (o.plugins) {
    o.plugins.legend = { ...o.plugins.legend, labels: { ...o.plugins.legend?.labels, color: t.fg } };
    o.plugins.tooltip = { ...o.plugins.tooltip, backgroundColor: t.tooltipBg, titleColor: t.tooltipFg, bodyColor: t.tooltipFg, borderColor: t.tooltipBorder, borderWidth: 1 };
  }
}

let observing = false;
/** A chart that follows the editor's theme; destroyed with `destroyChart`. */
export function makeChart<T extends 'bar' | 'line' | 'scatter'>(canvas: HTMLCanvasElement, config: ChartConfiguration<T>): Chart<T> {
  const t = readTheme();
  Chart.defaults.font.family = t.font;
  Chart.defaults.color = t.fg;
  config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options, plugins: { ...config.options?.plugins } } as typeof config.options;
  const chart = new Chart(canvas, { ...config, plugins: [...(config.plugins ?? []), errorBars as Plugin<T>] } as ChartConfiguration<T>);
  themed(chart as unknown as Chart, t);
  chart.update('none');
  charts.add(chart as unknown as Chart);
  if (!observing) {
    observing = true;
    new MutationObserver(() => {
      const nt = readTheme();
      Chart.defaults.color = nt.fg;
      for (const c of charts) {
        themed(c, nt);
        c.update('none');
      }
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }
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
    const t = readTheme();
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
        ctx.strokeStyle = t.fg;
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
