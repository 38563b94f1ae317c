/**
 * A scripted language-model server on loopback that speaks the OpenAI chat-completions API (the subset
 * agents use: POST /v1/chat/completions, JSON in and out, usage counts). A script decides each answer from
 * the request, so tests drive the real agent loop, the real HTTP client and the real phone.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string | Array<{ type: string; text?: string; image_url?: { url: string } }> }>;
  headers: http.IncomingHttpHeaders;
}

/** The text of the request's last user message. */
export function lastUserText(req: ChatRequest): string {
  const m = [...req.messages].reverse().find((x) => x.role === 'user');
  if (!m) return '';
  return typeof m.content === 'string' ? m.content : m.content.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n');
}

/** The element number of the first line of the screen list matching a pattern. */
export function elementNumber(req: ChatRequest, pattern: RegExp): number | undefined {
  const screen = /<screen>\n([\s\S]*?)\n<\/screen>/.exec(lastUserText(req))?.[1] ?? '';
  const line = screen.split('\n').find((l) => pattern.test(l));
  return line ? Number(/^\[(\d+)\]/.exec(line)?.[1]) : undefined;
}

export type Script = (req: ChatRequest, callIndex: number) => string | Promise<string> | { delayMs: number; text: string };

export interface ScriptedLlm {
  baseUrl: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

export async function startScriptedLlm(script: Script): Promise<ScriptedLlm> {
  const requests: ChatRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.method !== 'POST' || !/\/v1\/chat\/completions$/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      let body: ChatRequest;
      try {
        body = { ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest), headers: req.headers };
      } catch {
        res.writeHead(400).end();
        return;
      }
      requests.push(body);
      let out = await script(body, requests.length - 1);
      if (typeof out === 'object') {
        await new Promise((r) => setTimeout(r, (out as { delayMs: number }).delayMs));
        out = (out as { text: string }).text;
      }
      const promptTokens = JSON.stringify(body.messages).length >> 2;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        id: `chatcmpl-${requests.length}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: out } }],
        usage: { prompt_tokens: promptTokens, completion_tokens: out.length >> 2, total_tokens: promptTokens + (out.length >> 2) },
      }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export const act = (action: Record<string, unknown>, thought = 'next step') => JSON.stringify({ thought, action });
