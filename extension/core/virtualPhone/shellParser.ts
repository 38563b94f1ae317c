/**
 * A parser for the subset of POSIX sh that tools send to a phone: words with single/double quotes and
 * backslashes, `;`, `&&`, `||`, pipes, and redirections (`>`, `>>`, `<`, `2>`, `2>&1`).
 */
export interface Redirect {
  fd: 0 | 1 | 2;
  op: '>' | '>>' | '<' | '>&';
  target: string;
}

export interface SimpleCommand {
  argv: string[];
  redirects: Redirect[];
}

export interface Pipeline {
  commands: SimpleCommand[];
}

export interface CommandList {
  items: Array<{ pipeline: Pipeline; next: ';' | '&&' | '||' | undefined }>;
}

type Token = { t: 'word'; v: string } | { t: 'op'; v: string };

export class ShellSyntaxError extends Error {}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) out.push({ t: 'word', v: word });
    word = undefined;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t') { flush(); i++; continue; }
    if (c === '\n') { flush(); out.push({ t: 'op', v: ';' }); i++; continue; }
    if (c === '#' && word === undefined) { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unterminated '");
      word = (word ?? '') + src.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length && '"\\$`\n'.includes(src[j + 1])) { s += src[j + 1]; j += 2; continue; }
        s += src[j++];
      }
      if (j >= src.length) throw new ShellSyntaxError('unterminated "');
      word = (word ?? '') + s;
      i = j + 1;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < src.length && src[i + 1] !== '\n') word = (word ?? '') + src[i + 1];
      i += 2;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '>>') { flush(); out.push({ t: 'op', v: two }); i += 2; continue; }
    if ((c === '2' || c === '1' || c === '0') && word === undefined && (src[i + 1] === '>' || src[i + 1] === '<')) {
      const op = src.slice(i + 1, i + 3) === '>>' ? '>>' : src.slice(i + 1, i + 3) === '>&' ? '>&' : src[i + 1];
      out.push({ t: 'op', v: `${c}${op}` });
      i += 1 + op.length;
      continue;
    }
    if (two === '>&') { flush(); out.push({ t: 'op', v: '1>&' }); i += 2; continue; }
    if (c === ';' || c === '|' || c === '>' || c === '<' || c === '&') { flush(); out.push({ t: 'op', v: c }); i++; continue; }
    word = (word ?? '') + c;
    i++;
  }
  flush();
  return out;
}

export function parse(src: string): CommandList {
  const tokens = tokenize(src);
  const list: CommandList = { items: [] };
  let pipeline: Pipeline = { commands: [] };
  let cmd: SimpleCommand = { argv: [], redirects: [] };
  const endCommand = (beforePipe = false) => {
    if (cmd.argv.length || cmd.redirects.length) pipeline.commands.push(cmd);
    else if (beforePipe || pipeline.commands.length) throw new ShellSyntaxError("syntax error: unexpected '|'");
    cmd = { argv: [], redirects: [] };
  };
  const endPipeline = (next: ';' | '&&' | '||' | undefined) => {
    endCommand();
    if (pipeline.commands.length) list.items.push({ pipeline, next });
    else if (next && next !== ';') throw new ShellSyntaxError(`syntax error: unexpected '${next}'`);
    pipeline = { commands: [] };
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok.t === 'word') { cmd.argv.push(tok.v); continue; }
    const v = tok.v;
    if (v === ';' || v === '&&' || v === '||' || v === '&') { endPipeline(v === '&' ? ';' : v); continue; }
    if (v === '|') { endCommand(true); continue; }
    // redirection: fd + op, then a word
    const m = /^([012]?)(>>|>&|>|<)$/.exec(v);
    if (!m) throw new ShellSyntaxError(`syntax error near '${v}'`);
    const target = tokens[i + 1];
    if (!target || target.t !== 'word') throw new ShellSyntaxError(`syntax error: ${v} needs a target`);
    i++;
    const op = m[2] as Redirect['op'];
    const fd = (m[1] ? Number(m[1]) : op === '<' ? 0 : 1) as 0 | 1 | 2;
    cmd.redirects.push({ fd, op, target: target.v });
  }
  endPipeline(undefined);
  const last = list.items[list.items.length - 1];
  if (last && (last.next === '&&' || last.next === '||')) throw new ShellSyntaxError(`syntax error: unexpected end after '${last.next}'`);
  return list;
}
