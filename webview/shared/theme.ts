/**
 * Colours for charts and drawings, from the editor's theme. VS Code sets its colours as --vscode-* custom
 * properties on the webview's <html> and the theme kind as a class on <body> (vscode-light, vscode-dark,
 * vscode-high-contrast, vscode-high-contrast-light) and as body[data-vscode-theme-kind]; both change in place
 * when the user switches theme, so `onThemeChange` watches them and charts redraw with `readTheme()`.
 *
 * Series colours are the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008; the eight colours
 * distinguishable with the common colour-vision deficiencies), with its black replaced by the theme's
 * foreground so it shows on dark backgrounds, and yellow last (weakest on light backgrounds).
 */
import type { Chart } from 'chart.js';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface ChartTheme {
  kind: ThemeKind;
  /** Series colours, colour-blind safe, in the order to use them. */
  palette: string[];
  foreground: string;
  /** Axis labels, ticks and secondary text. */
  muted: string;
  background: string;
  grid: string;
  axis: string;
  tooltip: { background: string; foreground: string; border: string };
  font: { family: string; size: number };
  /** A colour for "better" (e.g. a faster B) and "worse", the editor's own. */
  good: string;
  bad: string;
}

/** Okabe–Ito, in the order used: blue, vermillion, bluish green, orange, sky blue, reddish purple, (foreground), yellow. */
export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#E69F00', '#56B4E9', '#CC79A7', '#000000', '#F0E442'] as const;

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const attr = body.getAttribute('data-vscode-theme-kind');
  const c = body.classList;
  if (attr === 'vscode-high-contrast-light' || c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (attr === 'vscode-high-contrast' || c.contains('vscode-high-contrast')) return 'high-contrast';
  if (attr === 'vscode-dark' || c.contains('vscode-dark')) return 'dark';
  return 'light';
}

/** The current theme's chart colours (read afresh: call again after `onThemeChange`). */
export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const kind = themeKind();
  const dark = kind === 'dark' || kind === 'high-contrast';
  const hc = kind === 'high-contrast' || kind === 'high-contrast-light';
  const foreground = cssVar(style, '--vscode-editor-foreground', cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#333333'));
  const contrastBorder = cssVar(style, '--vscode-contrastBorder', '');
  const palette = OKABE_ITO.map((c) => (c === '#000000' ? foreground : c));
  // On dark backgrounds the darkest Okabe–Ito blue is hard to see: lead with the sky blue there.
  if (dark) [palette[0], palette[4]] = [palette[4], palette[0]];
  return {
    kind,
    palette,
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', foreground),
    background: cssVar(style, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff'),
    grid: hc && contrastBorder ? contrastBorder : cssVar(style, '--vscode-editorWidget-border', cssVar(style, '--vscode-panel-border', dark ? '#454545' : '#c8c8c8')),
    axis: hc && contrastBorder ? contrastBorder : cssVar(style, '--vscode-editorRuler-foreground', cssVar(style, '--vscode-descriptionForeground', foreground)),
    tooltip: {
      background: cssVar(style, '--vscode-editorHoverWidget-background', dark ? '#252526' : '#f3f3f3'),
      foreground: cssVar(style, '--vscode-editorHoverWidget-foreground', foreground),
      border: cssVar(style, '--vscode-editorHoverWidget-border', contrastBorder || (dark ? '#454545' : '#c8c8c8')),
    },
    font: {
      family: cssVar(style, '--vscode-font-family', 'sans-serif'),
      size: Number.parseFloat(cssVar(style, '--vscode-font-size', '13')) || 13,
    },
    good: cssVar(style, '--vscode-testing-iconPassed', dark ? '#73c991' : '#388a34'),
    bad: cssVar(style, '--vscode-errorForeground', dark ? '#f48771' : '#a1260d'),
  };
}

/** `color` with an alpha (for fills under lines and translucent points); `color` is #rgb/#rrggbb or left as is. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return color;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255).toString(16).padStart(2, '0');
  return `#${h}${a}`;
}

/**
 * Calls `cb` when the user switches theme (body class / theme-kind attribute or the <html> style holding the
 * --vscode-* variables changes). Returns a function that stops watching.
 */
export function onThemeChange(cb: (theme: ChartTheme) => void): () => void {
  let last = '';
  const fire = (): void => {
    const key = `${document.body.className}|${document.body.getAttribute('data-vscode-theme-kind') ?? ''}|${document.documentElement.getAttribute('style') ?? ''}`;
    if (key === last) return;
    last = key;
    cb(readTheme());
  };
  last = `${document.body.className}|${document.body.getAttribute('data-vscode-theme-kind') ?? ''}|${document.documentElement.getAttribute('style') ?? ''}`;
  const obs = new MutationObserver(fire);
  obs.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => obs.disconnect();
}

/**
 * Chart.js options for the theme: text, grid and axis colours, the editor's font, and a tooltip in the
 * editor's hover colours (Chart.js' own is black in every theme). Merge into a chart's `options`.
 */
export function chartOptions(t: ChartTheme = readTheme()): Record<string, unknown> {
  const scale = { ticks: { color: t.muted }, grid: { color: t.grid }, border: { color: t.axis }, title: { color: t.foreground } };
  return {
    color: t.foreground,
    font: { family: t.font.family, size: t.font.size },
    scales: { x: scale, y: scale },
    plugins: {
      legend: { labels: { color: t.foreground } },
      tooltip: {
        backgroundColor: t.tooltip.background, titleColor: t.tooltip.foreground, bodyColor: t.tooltip.foreground, footerColor: t.tooltip.foreground,
        borderColor: t.tooltip.border, borderWidth: 1,
      },
    },
  };
}

/** Sets Chart.js' global defaults from the theme (for charts created afterwards) and restyles `charts` in place. */
export function applyChartTheme(ChartCtor: typeof Chart, t: ChartTheme = readTheme(), charts: Chart[] = []): void {
  const d = ChartCtor.defaults;
  d.color = t.foreground;
  d.borderColor = t.grid;
  d.font.family = t.font.family;
  d.font.size = t.font.size;
  const tt = d.plugins.tooltip;
  tt.backgroundColor = t.tooltip.background;
  tt.titleColor = t.tooltip.foreground;
  tt.bodyColor = t.tooltip.foreground;
  tt.footerColor = t.tooltip.foreground;
  tt.borderColor = t.tooltip.border;
  tt.borderWidth = 1;
  d.plugins.legend.labels.color = t.foreground;
  for (const chart of charts) {
    const scales = chart.options.scales ?? {};
    for (const s of Object.values(scales)) {
      if (!s) continue;
      const sc = s as { ticks?: { color?: unknown }; grid?: { color?: unknown }; border?: { color?: unknown }; title?: { color?: unknown } };
      if (sc.ticks) sc.ticks.color = t.muted;
      if (sc.grid) sc.grid.color = t.grid;
      if (sc.border) sc.border.color = t.axis;
      if (sc.title) sc.title.color = t.foreground;
    }
    const plugins = chart.options.plugins;
    if (plugins?.tooltip) Object.assign(plugins.tooltip, { backgroundColor: t.tooltip.background, titleColor: t.tooltip.foreground, bodyColor: t.tooltip.foreground, borderColor: t.tooltip.border, borderWidth: 1 });
    if (plugins?.legend?.labels) plugins.legend.labels.color = t.foreground;
    chart.update(); // not 'none': that mode keeps the elements' resolved colours
  }
}
