import type { FromQuantizeWebview } from './protocol';

/**
 * A report warning as the editor shows it: the engine's text speaks to the CLI (`--calibration`, `--eval`);
 * here the flag's sentence is dropped and what it advises becomes a button.
 */
export function warningView(w: string): { text: string; action?: { label: string; message: FromQuantizeWebview } } {
  const wantsData = /--calibration|--eval\b/.test(w);
  const text = withoutFlags(w);
  return { text, action: wantsData ? { label: 'Re-quantize with Calibration Data…', message: { type: 'requantizeCalibrated' } } : undefined };
}

/** Engine text without its command-line advice: the sentence or parenthesis that names a flag goes. */
export function withoutFlags(text: string): string {
  return text
    .replace(/\s*Give --calibration with real samples\.?/i, '')
    .replace(/;\s*give --eval with other samples/i, '')
    .replace(/\s*\([^)]*--[a-z][\w-]*[^)]*\)/g, '')
    .replace(/^--([a-z][\w-]*)/, (_, flag: string) => flag.replace(/-/g, ' '))
    .trim();
}
