/**
 * Drives the language server as an editor does: a child process speaking LSP JSON-RPC over stdio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver/node';

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; severity: number; message: string; code: string; data?: unknown }>;
}

export class LspClient {
  readonly diagnostics = new Map<string, PublishedDiagnostics>();
  private versions = new Map<string, number>();
  private waiters: Array<() => void> = [];
  stderr = '';
  logs: string[] = [];

  private constructor(readonly child: ChildProcess, readonly conn: MessageConnection) {
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.splice(0)) w();
    });
    conn.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
  }

  static async start(): Promise<LspClient> {
    const server = path.resolve(__dirname, '..', '..', 'dist', 'language-server.js');
    const child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const c = new LspClient(child, conn);
    child.stdin!.on('error', () => undefined);
    child.stderr!.on('data', (d: Buffer) => (c.stderr += d.toString()));
    conn.listen();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    conn.sendNotification('initialized', {});
    return c;
  }

  open(uri: string, text: string): void {
    this.versions.set(uri, 1);
    this.diagnostics.delete(uri);
    this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  }

  change(uri: string, text: string): void {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
  }

  /** Diagnostics for the document's current version that satisfy `ok` (diagnostics can arrive more than once). */
  async waitDiagnostics(uri: string, ok: (d: PublishedDiagnostics) => boolean = () => true, timeoutMs = 20000): Promise<PublishedDiagnostics> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.diagnostics.get(uri);
      if (d && (d.version === undefined || d.version === this.versions.get(uri)) && ok(d)) return d;
      if (Date.now() > deadline) throw new Error(`no matching diagnostics for ${uri}: last ${JSON.stringify(d?.diagnostics.map((x) => x.message))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      // The server may already be gone: the write then fails with EPIPE, which is not a test failure.
      await Promise.resolve(this.conn.sendNotification('exit')).catch(() => undefined);
    } catch {
      /* already gone */
    }
    this.conn.dispose();
    this.child.kill();
  }
}

/** Offset → LSP position in a text. */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`"${needle}" is not in the text`);
  const off = at + delta;
  const before = text.slice(0, off);
  const line = before.split('\n').length - 1;
  return { line, character: off - (before.lastIndexOf('\n') + 1) };
}
