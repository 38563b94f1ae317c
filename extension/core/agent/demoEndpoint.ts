/**
 * A demo endpoint for trying agents without a language model: an OpenAI-compatible chat-completions server
 * on loopback whose "model" (`virtual-phone-demo`) is a handful of rules that know the virtual phone's apps.
 * It reads the task and the numbered screen list the agent sends, as a model would, and answers in the
 * agent's JSON format. It is not a language model and says so in every answer's thought.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEMO_MODEL = 'virtual-phone-demo';

interface Msg {
  role: string;
  content: string | Array<{ type: string; text?: string }>;
}

const textOf = (m?: Msg) => (!m ? '' : typeof m.content === 'string' ? m.content : m.content.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n'));
const answer = (action: Record<string, unknown>, thought: string) => JSON.stringify({ thought: `(demo rules, not a language model) ${thought}`, action });

/** The rules: settings toggles (Wi-Fi, Bluetooth, airplane mode, dark theme…) and writing a note. */
export function demoPolicy(messages: Msg[]): string {
  const text = textOf([...messages].reverse().find((m) => m.role === 'user'));
  const task = /^Task \(from the user\): (.*)$/m.exec(text)?.[1] ?? '';
  const app = /^Current app: (\S+);/m.exec(text)?.[1] ?? '';
  const done = /Done so far:\n([\s\S]*?)\nCurrent app:/.exec(text)?.[1] ?? '';
  const screen = /<screen>\n([\s\S]*?)\n<\/screen>/.exec(text)?.[1] ?? '';
  const find = (re: RegExp) => {
    const line = screen.split('\n').find((l) => re.test(l));
    return line ? Number(/^\[(\d+)\]/.exec(line)?.[1]) : undefined;
  };
  const toggles: Array<[RegExp, string]> = [[/bluetooth/i, 'Bluetooth'], [/wi-?fi/i, 'Wi-Fi'], [/airplane|flight/i, 'Airplane mode'], [/dark (theme|mode)/i, 'Dark theme'],
    [/location/i, 'Use location'], [/do not disturb|dnd/i, 'Do Not Disturb']];
  for (const [re, title] of toggles) {
    if (!re.test(task)) continue;
    const on = !/\b(off|disable|deactivate)\b/i.test(task) && !/light (theme|mode)/i.test(task);
    if (app !== 'com.android.settings') return answer({ type: 'open_app', package: 'com.android.settings' }, `${title} is in Settings.`);
    const n = find(new RegExp(`Switch desc=${JSON.stringify(title).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* ${on ? 'unchecked' : 'checked'}`));
    if (n) return answer({ type: 'tap', element: n }, `${title} is ${on ? 'off' : 'on'}: tap its switch.`);
    return answer({ type: 'finish', success: true, message: `${title} is ${on ? 'on' : 'off'}` }, `${title} is ${on ? 'on' : 'off'} now.`);
  }
  const note = /note (?:that says|saying)[: ]*["']?([^,"']+?)["']?(?:,| and save|\.?$)/i.exec(task)?.[1]?.trim();
  if (note) {
    if (app !== 'com.mobileai.notes') return answer({ type: 'open_app', package: 'com.mobileai.notes' }, 'Notes is where notes are written.');
    if (new RegExp(`text=${JSON.stringify(note).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\n]*id=note_text`).test(screen)) return answer({ type: 'finish', success: true, message: `saved "${note}"` }, 'The note is in the list.');
    if (/^\d+\. type /m.test(done)) return answer({ type: 'tap', element: find(/id=save_button/) }, 'Save it.');
    return answer({ type: 'type', text: note, element: find(/id=note_input/) }, 'Type the note.');
  }
  return answer({ type: 'finish', success: false, message: 'the demo rules only know Settings toggles and writing a note; configure a real model endpoint for other tasks' }, 'Unknown task.');
}

export interface DemoEndpoint {
  baseUrl: string;
  close(): Promise<void>;
}

export async function startDemoEndpoint(port = 0, host = '127.0.0.1'): Promise<DemoEndpoint> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      if (chunks.reduce((s, b) => s + b.length, 0) > 32 * 1024 * 1024) req.destroy();
    });
    req.on('end', () => {
      const json = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && /\/v1\/models$/.test(req.url ?? '')) return json(200, { object: 'list', data: [{ id: DEMO_MODEL, object: 'model', owned_by: 'mobile-ai-studio' }] });
      if (req.method !== 'POST' || !/\/v1\/chat\/completions$/.test(req.url ?? '')) return json(404, { error: { message: `no route ${req.method} ${req.url}` } });
      let body: { model?: string; messages?: Msg[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return json(400, { error: { message: 'the request body is not JSON' } });
      }
      if (!Array.isArray(body.messages)) return json(400, { error: { message: '"messages" must be a list' } });
      const content = demoPolicy(body.messages);
      // Token counts are estimates (no tokenizer here): 4 characters of text per token, 85 per image.
      const prompt = body.messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length >> 2
        : m.content.reduce((k, p) => k + (p.type === 'text' ? (p.text ?? '').length >> 2 : 85), 0)), 0);
      return json(200, {
        id: `demo-${Date.now()}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: DEMO_MODEL,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
        usage: { prompt_tokens: prompt, completion_tokens: content.length >> 2, total_tokens: prompt + (content.length >> 2) },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const a = server.address() as AddressInfo;
  return { baseUrl: `http://${host}:${a.port}/v1`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
