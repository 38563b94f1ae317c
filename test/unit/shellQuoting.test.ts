import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteArg, shellCommand } from '../../extension/core/util/shellQuote';
import { parseScript } from '../../extension/core/virtualPhone/sh/parser';
import { ShellSyntaxError } from '../../extension/core/virtualPhone/sh/ast';
import { withPhone } from '../helpers/phoneShell';

const HOSTILE = [
  '', ' ', "it's", '"; rm -rf / #', '$(reboot)', '`reboot`', 'a&&b', 'a||b', 'a|b', 'a;b', '> /sdcard/x', '2>&1', '\\', '\\\\n', '\n', 'tab\there',
  "'", "''", '"', '*', '?', '~', '#comment', 'ünïcødé 漢字 😀', '-rf', '--', '%s', 'a\'b"c$d`e\\f',
];

test('every argument, however hostile, reaches the device shell as one word', async () => {
  await withPhone(async (_dev, sh) => {
    // printf '[%s]\n' prints each argument it received on its own line: one line per hostile string.
    for (const s of HOSTILE) {
      const r = await sh(`printf '<%s>\\n' ${quoteArg(s)}`);
      assert.equal(r.stdout, `<${s}>\n`, `argument ${JSON.stringify(s)}`);
    }
    const argv = ['echo', ...HOSTILE.filter(Boolean)];
    const r = await sh(`${shellCommand(['printf', '%s\\0', ...argv.slice(1)])}`);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), argv.slice(1));
  });
});

test('NUL cannot be sent to a device shell', () => {
  assert.throws(() => quoteArg('a\0b'), /NUL/);
});

test('operators, pipes, redirections and compound commands parse as sh does', () => {
  const l = parseScript('echo && screencap -p 2>/dev/null; ls | grep x || echo none > /sdcard/o.txt') as { type: string; items: Array<{ node: { type: string } }> };
  assert.equal(l.type, 'list');
  assert.deepEqual(l.items.map((i) => i.node.type), ['andor', 'andor']);
  for (const bad of ["echo 'open", 'echo a &&', '| x', 'if true; then echo', 'for x in 1 2; do', 'case x in', 'echo $(date', 'fi', 'done']) {
    assert.throws(() => parseScript(bad), ShellSyntaxError, bad);
  }
  // Incomplete input (more lines could finish it) is told apart from a real syntax error.
  const incomplete = (src: string) => { try { parseScript(src); return false; } catch (e) { return (e as ShellSyntaxError).incomplete; } };
  assert.equal(incomplete('if true; then echo'), true);
  assert.equal(incomplete("echo 'open"), true);
  assert.equal(incomplete('cat <<EOF\nline'), true);
  assert.equal(incomplete('fi'), false);
  assert.equal(incomplete('| x'), false);
});
