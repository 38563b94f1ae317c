import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteArg, shellCommand } from '../../extension/core/util/shellQuote';
import { parse, tokenize, ShellSyntaxError } from '../../extension/core/virtualPhone/shellParser';

const HOSTILE = [
  '', ' ', "it's", '"; rm -rf / #', '$(reboot)', '`reboot`', 'a&&b', 'a||b', 'a|b', 'a;b', '> /sdcard/x', '2>&1', '\\', '\\\\n', '\n', 'tab\there',
  "'", "''", '"', '*', '?', '~', '#comment', 'ünïcødé 漢字 😀', '-rf', '--', '%s', 'a\'b"c$d`e\\f',
];

test('every argument, however hostile, reaches the device shell as one word', () => {
  for (const s of HOSTILE) {
    const words = tokenize(quoteArg(s)).filter((t) => t.t === 'word').map((t) => t.v);
    assert.deepEqual(words, [s], `argument ${JSON.stringify(s)}`);
    assert.equal(tokenize(quoteArg(s)).filter((t) => t.t === 'op').length, 0, `no operator leaks from ${JSON.stringify(s)}`);
  }
  const argv = ['input', 'text', ...HOSTILE.filter(Boolean)];
  const parsed = parse(shellCommand(argv));
  assert.equal(parsed.items.length, 1);
  assert.deepEqual(parsed.items[0].pipeline.commands[0].argv, argv);
});

test('NUL cannot be sent to a device shell', () => {
  assert.throws(() => quoteArg('a\0b'), /NUL/);
});

test('operators, pipes and redirections parse as sh does', () => {
  const l = parse('echo && screencap -p 2>/dev/null; ls | grep x || echo none > /sdcard/o.txt');
  assert.deepEqual(l.items.map((i) => i.next), ['&&', ';', '||', undefined]);
  assert.deepEqual(l.items[1].pipeline.commands[0].redirects, [{ fd: 2, op: '>', target: '/dev/null' }]);
  assert.equal(l.items[2].pipeline.commands.length, 2);
  assert.deepEqual(l.items[3].pipeline.commands[0].redirects, [{ fd: 1, op: '>', target: '/sdcard/o.txt' }]);
  assert.throws(() => parse("echo 'open"), ShellSyntaxError);
  assert.throws(() => parse('echo a &&'), ShellSyntaxError);
  assert.throws(() => parse('| x'), ShellSyntaxError);
});
