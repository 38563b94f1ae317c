/**
 * The mobileai.yaml language server on a large manifest (2,000+ lines: 150 models, 40 targets, 40 searches,
 * 40 agents), driven over LSP JSON-RPC as an editor does: time from a change to its diagnostics, and the
 * latency of completion, hover, code lenses and symbols. Writes bench-results/manifest.json.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from '../test/helpers/lspClient';
import { type Metric, report, summarize } from './report';

function bigManifest(): string {
  const lines = ['version: 1', 'targets:'];
  for (let i = 0; i < 40; i++) lines.push(`  phone${i}:`, `    serial: 127.0.0.1:${6500 + i}`, '    table: nas', '    runner:', '      ort: models/mnist.onnx');
  lines.push('models:');
  for (let i = 0; i < 150; i++) {
    lines.push(`  model${i}:`, '    path: models/mnist.onnx', `    target: phone${i % 40}`, '    inputs:', '      batch: 1', '    quantize:', '      mode: static', '      method: percentile', '      percentile: 99.99', '      perChannel: true',
      '      excludeOps:', '        - Softmax', '    deploy:', '      to: /data/local/tmp/models', '    profile:', '      runs: 20', '      optimization: all');
  }
  lines.push('searches:');
  for (let i = 0; i < 40; i++) lines.push(`  search${i}:`, `    target: phone${i}`, `    budgetMs: ${20 + i}`, '    algorithm: evolution', '    evaluations: 5000', `    seed: ${i}`);
  lines.push('agents:');
  for (let i = 0; i < 40; i++) lines.push(`  agent${i}:`, `    target: phone${i}`, '    task: Turn on Bluetooth', '    endpoint: http://127.0.0.1:11434/v1', '    model: qwen2.5vl', '    maxSteps: 20', '    allow:', '      - com.android.settings');
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-lsp-'));
  const fix = path.resolve(__dirname, '..', 'test', 'fixtures');
  await cp(path.join(fix, 'models'), path.join(dir, 'models'), { recursive: true });
  await cp(path.join(fix, 'nas'), path.join(dir, 'nas'), { recursive: true });
  const lsp = await LspClient.start();
  try {
    const uri = pathToFileURL(path.join(dir, 'mobileai.yaml')).toString();
    const text = bigManifest();
    const nLines = text.split('\n').length;
    lsp.open(uri, text);
    await lsp.waitDiagnostics(uri, undefined, 60000);
    // Let the background facts (the table's latency range, the model's ops) arrive first.
    await new Promise((r) => setTimeout(r, 3000));
    const diag: number[] = [];
    const comp: number[] = [];
    const hov: number[] = [];
    const lens: number[] = [];
    const sym: number[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < 30; i++) {
      // An edit in the middle of the file: a budget changes.
      const edited = text.replace('budgetMs: 25', `budgetMs: ${25 + (i % 7) / 10}`);
      const t0 = performance.now();
      lsp.change(uri, edited);
      await lsp.waitDiagnostics(uri);
      diag.push(performance.now() - t0);
      const line = 200 + ((i * 61) % (nLines - 300));
      const time = async (arr: number[], method: string, params: unknown) => {
        const t = performance.now();
        await lsp.request(method, params);
        arr.push(performance.now() - t);
      };
      const modeLine = lines.findIndex((l, k) => k > line && l.includes('mode: static'));
      await time(comp, 'textDocument/completion', { textDocument: { uri }, position: { line: modeLine, character: 12 } });
      const budgetLine = lines.findIndex((l, k) => k > 2000 && l.includes('budgetMs'));
      await time(hov, 'textDocument/hover', { textDocument: { uri }, position: { line: budgetLine, character: 6 } });
      await time(lens, 'textDocument/codeLens', { textDocument: { uri } });
      await time(sym, 'textDocument/documentSymbol', { textDocument: { uri } });
    }
    const metrics: Metric[] = [
      summarize('lines', [nLines], 'lines in the manifest'),
      summarize('change_to_diagnostics_ms', diag, 'ms (didChange → publishDiagnostics, the whole file re-validated)', { max: 50 }),
      summarize('completion_ms', comp, 'ms', { max: 50 }),
      summarize('hover_ms', hov, 'ms (a search budget: with the table\'s latency range)', { max: 50 }),
      summarize('code_lens_ms', lens, 'ms', { max: 50 }),
      summarize('document_symbols_ms', sym, 'ms', { max: 50 }),
    ];
    await report('manifest', metrics);
  } finally {
    await lsp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
