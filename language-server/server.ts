/**
 * The `mobileai.yaml` language server (vscode-languageserver over Node IPC, or stdio with --stdio):
 * diagnostics, completion, hover, code lenses, go to definition, document symbols and quick fixes. The
 * extension tells it which phones are connected (`mobileai/devices`). Every handler is guarded: a bad
 * input yields no answer, never a crash.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind, CodeLensRefreshRequest, CompletionItemKind, createConnection, DiagnosticSeverity, InsertTextFormat, MarkupKind, ProposedFeatures, SymbolKind, TextDocuments, TextDocumentSyncKind, TextEdit,
  type CodeAction, type Diagnostic, type DocumentSymbol, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileKind, parseManifest, validateManifest, type ManifestDiagnostic, type ParsedManifest } from '../extension/core/manifest/manifest';
import { computeLatencyRange, FactCache } from '../extension/core/manifest/facts';
import { complete, definition, hover, lenses, symbols, type Device, type Facts, type ModelFacts } from './features';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let devices: Device[] = [];
/** Until the extension says which phones are connected, no target is reported as missing. */
let devicesKnown = false;
const parsed = new Map<string, { version: number; pm: ParsedManifest }>();

function log(message: string): void {
  connection.console.log(message);
}

const revalidateAll = () => {
  for (const d of documents.all()) void publish(d);
};
const latency = new FactCache((file: string, space: string) => computeLatencyRange(file, space), revalidateAll);
const models = new FactCache(async (file: string): Promise<ModelFacts> => {
  const { loadModel } = await import('../extension/core/onnx/model');
  const { summarize } = await import('../extension/core/onnx/summary');
  const loaded = await loadModel(file);
  const s = summarize(loaded);
  const nodes = (loaded as unknown as { model: { graph?: { node?: Array<{ name?: string | null }> } } }).model.graph?.node ?? [];
  const { declaredInputs } = await import('../extension/core/inputs/resolve');
  return {
    inputs: declaredInputs(loaded.model), metadata: s.metadata,
    bytes: s.fileBytes, parameters: s.parameters.count, opTypes: s.opHistogram.map((h) => h.opType), opCounts: s.opHistogram.map((h) => ({ opType: h.opType, count: h.count })),
    nodeNames: nodes.map((n) => n.name ?? '').filter(Boolean), opset: s.opsets.find((o) => o.domain === 'ai.onnx' || o.domain === '')?.version,
  };
}, revalidateAll);

function baseDirOf(uri: string): string {
  try {
    return path.dirname(fileURLToPath(uri));
  } catch {
    return process.cwd();
  }
}

function factsFor(uri: string): Facts {
  return {
    baseDir: baseDirOf(uri),
    devices,
    devicesKnown,
    latency: (file, space) => latency.get(file, space),
    latencyError: (file, space) => latency.error(file, space),
    model: (file) => (fileKind(file) === 'file' ? models.get(file) : undefined),
    modelError: (file) => (fileKind(file) === 'file' ? models.error(file) : 'no such file'),
  };
}

function parse(doc: TextDocument): ParsedManifest {
  const cur = parsed.get(doc.uri);
  if (cur && cur.version === doc.version) return cur.pm;
  const pm = parseManifest(doc.getText());
  parsed.set(doc.uri, { version: doc.version, pm });
  return pm;
}

const severity = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

function toDiagnostic(doc: TextDocument, d: ManifestDiagnostic): Diagnostic {
  return { range: { start: doc.positionAt(d.start), end: doc.positionAt(d.end) }, severity: severity[d.severity], message: d.message, code: d.code, source: 'mobileai', data: d.fix ? { fix: d.fix } : undefined };
}

async function publish(doc: TextDocument): Promise<void> {
  try {
    const pm = parse(doc);
    const facts = factsFor(doc.uri);
    const diags = validateManifest(pm, { baseDir: facts.baseDir, fileExists: fileKind, latencyRange: (t, s) => latency.get(t, s), modelInputs: (f) => facts.model?.(f)?.inputs, devices: devicesKnown ? devices : undefined });
    await connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: diags.map((d) => toDiagnostic(doc, d)) });
  } catch (err) {
    log(`diagnostics failed for ${doc.uri}: ${(err as Error).stack ?? err}`);
  }
}

/** Runs a handler; an exception becomes an empty answer and a log line, never a dead server. */
function guarded<A extends unknown[], R>(name: string, fallback: R, fn: (...a: A) => R): (...a: A) => R {
  return (...a: A) => {
    try {
      return fn(...a);
    } catch (err) {
      log(`${name} failed: ${(err as Error).stack ?? err}`);
      return fallback;
    }
  };
}

connection.onInitialize((): InitializeResult => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    completionProvider: { triggerCharacters: [':', ' ', '-', '/'] },
    hoverProvider: true,
    codeLensProvider: { resolveProvider: false },
    definitionProvider: true,
    documentSymbolProvider: true,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
  serverInfo: { name: 'mobileai-yaml', version: '1' },
}));

const str = (v: unknown) => (typeof v === 'string' && v.length <= 256 ? v : undefined);
connection.onNotification('mobileai/devices', guarded('devices', undefined, (p: { devices?: unknown[] }) => {
  const list = Array.isArray(p?.devices) ? p.devices.slice(0, 256) : [];
  const next: Device[] = [];
  for (const d of list) {
    if (!d || typeof d !== 'object') continue;
    const o = d as Record<string, unknown>;
    const serial = str(o.serial);
    if (!serial) continue;
    const abis = Array.isArray(o.abis) ? o.abis.filter((a): a is string => typeof a === 'string').slice(0, 8) : undefined;
    next.push({ serial, state: str(o.state) ?? 'unknown', model: str(o.model), manufacturer: str(o.manufacturer), soc: str(o.soc), abis });
  }
  const changed = !devicesKnown || JSON.stringify(next) !== JSON.stringify(devices);
  devices = next;
  devicesKnown = true;
  if (!changed) return;
  // Diagnostics and lenses that depend on which phones are connected.
  revalidateAll();
  void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
}));

documents.onDidChangeContent((e) => void publish(e.document));
documents.onDidClose((e) => {
  parsed.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

const kinds = { key: CompletionItemKind.Property, value: CompletionItemKind.Value, reference: CompletionItemKind.Reference, file: CompletionItemKind.File, device: CompletionItemKind.Constant, enum: CompletionItemKind.EnumMember };

connection.onCompletion(guarded('completion', [], (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  const pm = parse(doc);
  return complete(pm, doc.offsetAt(p.position), factsFor(doc.uri)).map((c, i) => ({
    label: c.label, kind: kinds[c.kind], detail: c.detail, sortText: String(i).padStart(4, '0'),
    documentation: c.documentation ? { kind: MarkupKind.Markdown, value: c.documentation } : undefined,
    textEdit: TextEdit.replace({ start: doc.positionAt(c.replace.start), end: doc.positionAt(c.replace.end) }, c.insertText),
    insertTextFormat: InsertTextFormat.PlainText,
  }));
}));

connection.onHover(guarded('hover', Promise.resolve(null), async (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return null;
  const pm = parse(doc);
  const offset = doc.offsetAt(p.position);
  const facts = factsFor(doc.uri);
  // On a model, read the file first (lazily, once; cached by modification time), so the hover has its facts.
  const entry = pm.entries.find((e) => e.section === 'models' && offset >= e.range.start && offset <= e.range.end);
  const rel = entry ? pm.value.models?.[entry.name]?.path : undefined;
  if (typeof rel === 'string' && rel) {
    const abs = path.resolve(facts.baseDir, rel);
    if (fileKind(abs) === 'file') await models.wait(5000, abs).catch(() => undefined);
  }
  const h = hover(pm, offset, facts);
  return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: doc.positionAt(h.range.start), end: doc.positionAt(h.range.end) } } : null;
}));

connection.onCodeLens(guarded('codeLens', [], (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  return lenses(parse(doc), doc.uri, factsFor(doc.uri)).map((l) => ({ range: { start: doc.positionAt(l.range.start), end: doc.positionAt(l.range.end) }, command: { title: l.title, command: l.command, arguments: l.args } }));
}));

connection.onDefinition(guarded('definition', null, (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return null;
  const d = definition(parse(doc), doc.offsetAt(p.position), factsFor(doc.uri));
  if (!d) return null;
  if (d.kind === 'range' && d.range) return { uri: doc.uri, range: { start: doc.positionAt(d.range.start), end: doc.positionAt(d.range.end) } };
  if (d.kind === 'file' && d.file && fileKind(d.file) === 'file') return { uri: pathToFileURL(d.file).toString(), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  return null;
}));

connection.onDocumentSymbol(guarded('symbols', [], (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  const conv = (s: ReturnType<typeof symbols>[number], depth: number): DocumentSymbol => ({
    name: s.name, detail: s.detail, kind: depth === 0 ? SymbolKind.Namespace : SymbolKind.Object,
    range: { start: doc.positionAt(s.range.start), end: doc.positionAt(s.range.end) },
    selectionRange: { start: doc.positionAt(s.selection.start), end: doc.positionAt(s.selection.end) },
    children: s.children.map((c) => conv(c, depth + 1)),
  });
  return symbols(parse(doc)).map((s) => conv(s, 0));
}));

connection.onCodeAction(guarded('codeAction', [], (p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  const out: CodeAction[] = [];
  for (const d of p.context.diagnostics) {
    const fixes = (d.data as { fix?: ManifestDiagnostic['fix'] } | undefined)?.fix ?? [];
    for (const f of fixes) {
      const at = f.range ? { start: doc.positionAt(f.range.start), end: doc.positionAt(f.range.end) } : d.range;
      const edit = f.replace !== undefined ? TextEdit.replace(at, f.replace)
        : f.insertAt !== undefined && f.insert !== undefined ? TextEdit.insert(doc.positionAt(f.insertAt), f.insert) : undefined;
      if (edit) out.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fixes.indexOf(f) === 0, edit: { changes: { [doc.uri]: [edit] } } });
    }
  }
  return out;
}));

process.on('uncaughtException', (err) => log(`uncaught: ${err.stack ?? err}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));

documents.listen(connection);
connection.listen();
