/**
 * Text and keys for `input` on the phone, escaped the way Android reads them.
 *
 * How `input text ARG` reads its one argument (frameworks/base InputShellCommand.sendText, and Input.java
 * before Android 11): it scans left to right and turns each `%s` into a space; nothing else is special
 * (`%%` is not an escape). The characters are then turned into key events through the VIRTUAL_KEYBOARD key
 * character map, which has printable ASCII only: any other character makes `getEvents` return null and the
 * command fails ("Exception occurred while executing 'text'"). So:
 * - a space is sent as `%s`;
 * - a literal `%` followed by a literal `s` cannot be written in one argument: the text is cut between them
 *   and sent as two `input text` commands;
 * - characters outside printable ASCII cannot be typed at all: `typableText` says which.
 * Every argument still goes through the device-shell quoting of AdbService.exec (util/shellQuote.ts), so the
 * shell never sees the text unquoted.
 */

/** What `input text` can type: printable ASCII (the virtual keyboard's character map). */
export function isTypable(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return ch.length === 1 && c >= 0x20 && c <= 0x7e;
}

/** The characters of `text` that `input text` cannot type (each once, in order). */
export function untypable(text: string): string[] {
  return [...new Set([...text].filter((ch) => !isTypable(ch)))];
}

/**
 * The `input text` arguments that make the phone type exactly `text` (printable ASCII; throws otherwise).
 * Usually one; more when the text holds a literal `%s`.
 */
export function inputTextArgs(text: string): string[] {
  const bad = untypable(text);
  if (bad.length) throw new Error(`Android's \`input text\` types only printable ASCII; cannot type ${bad.map((c) => JSON.stringify(c)).join(' ')}`);
  const chunks: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === ' ') cur += '%s';
    else cur += ch;
    // A literal "%s" would be read as a space: end this argument after the '%'.
    if (ch === '%' && text[i + 1] === 's') {
      chunks.push(cur);
      cur = '';
    }
  }
  if (cur) chunks.push(cur);
  return chunks;
}

/** What the phone types for one `input text` argument (Android's `%s` rule), for checks and the virtual phone. */
export function androidInputText(arg: string): string {
  let out = '';
  for (let i = 0; i < arg.length; i++) {
    if (arg[i] === '%' && arg[i + 1] === 's') {
      out += ' ';
      i++;
    } else {
      out += arg[i];
    }
  }
  return out;
}

/** The `input` commands (argv each) that type `text` on the phone. */
export function textCommands(text: string): string[][] {
  return inputTextArgs(text).map((a) => ['input', 'text', a]);
}
