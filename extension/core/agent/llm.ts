/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama's /v1, llama.cpp's server, vLLM…), through
 * the official `openai` client. The API key is passed in by the caller (VS Code's SecretStorage, or an
 * environment variable in the CLI) and goes nowhere but to the configured endpoint.
 */
export type ChatContent = string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: ChatContent;
}

export interface ChatReply {
  text: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  model: string;
}

export interface ChatModel {
  readonly model: string;
  readonly baseUrl: string;
  complete(messages: ChatMessage[], opts?: { signal?: AbortSignal }): Promise<ChatReply>;
}

export interface EndpointOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  timeoutMs?: number;
}

/** The base URL as users write it: `http://host:11434` gets `/v1` (Ollama, llama.cpp serve it there). */
export function normalizeBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`the endpoint's base URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`the endpoint's base URL must be http or https, not ${u.protocol}`);
  if (u.username || u.password) throw new Error('put the API key in the key store, not in the base URL');
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.origin}${path && path !== '' ? path : '/v1'}`;
}

export class OpenAiCompatibleModel implements ChatModel {
  readonly model: string;
  readonly baseUrl: string;
  private client: import('openai').OpenAI | undefined;

  constructor(private readonly opts: EndpointOptions) {
    this.model = opts.model;
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    if (!opts.model) throw new Error('no model name given for the endpoint');
  }

  async complete(messages: ChatMessage[], { signal }: { signal?: AbortSignal } = {}): Promise<ChatReply> {
    if (!this.client) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { OpenAI } = require('openai') as typeof import('openai');
      // Local servers take any key; the client insists on one, so a placeholder goes to the same endpoint.
      this.client = new OpenAI({ baseURL: this.baseUrl, apiKey: this.opts.apiKey || 'not-needed', timeout: this.opts.timeoutMs ?? 120_000, maxRetries: 1 });
    }
    const t = performance.now();
    let r: import('openai').OpenAI.Chat.Completions.ChatCompletion;
    try {
      r = await this.client.chat.completions.create({
        model: this.model,
        messages: messages as import('openai').OpenAI.Chat.Completions.ChatCompletionMessageParam[],
        temperature: this.opts.temperature ?? 0,
        ...(this.opts.maxTokens ? { max_tokens: this.opts.maxTokens } : {}),
      }, { signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string; cause?: { code?: string } } }).cause;
      const why = cause ? ` (${cause.code ?? cause.cause?.code ?? cause.message})` : '';
      throw new Error(`the model endpoint ${this.baseUrl} failed: ${redact(`${(err as Error).message}${why}`, this.opts.apiKey)}`);
    }
    const text = r.choices?.[0]?.message?.content;
    return {
      text: typeof text === 'string' ? text : '',
      promptTokens: r.usage?.prompt_tokens ?? 0,
      completionTokens: r.usage?.completion_tokens ?? 0,
      latencyMs: performance.now() - t,
      model: r.model ?? this.model,
    };
  }
}

/** Removes a secret from a message (error texts sometimes echo request headers). */
export function redact(text: string, secret?: string): string {
  return secret && secret.length >= 4 ? text.split(secret).join('«key»') : text;
}
