import { test } from 'node:test';
import assert from 'node:assert/strict';
import { androidInputText, inputTextArgs, textCommands, untypable } from '../../extension/core/screen/input';
import { shellCommand } from '../../extension/core/util/shellQuote';

// Android's rule (InputShellCommand.sendText): left to right, "%s" is a space; nothing else is special.
const typed = (text: string) => inputTextArgs(text).map(androidInputText).join('');

test('spaces become %s and the phone reads back exactly the text', () => {
  assert.deepEqual(inputTextArgs('hello world'), ['hello%sworld']);
  for (const t of ['hello world', "it's 100% ok", '100%', '%%', '% s', 'a  b', ' lead', 'trail ', '50%off', `'; rm -rf / $(x) "`, '`id` && echo $HOME | cat > /x; \\ ~!@#^&*()_+-={}[]:;<>?,./']) {
    assert.equal(typed(t), t, JSON.stringify(t));
  }
});

test('a literal "%s" is cut into two input commands (one argument cannot say it)', () => {
  assert.deepEqual(inputTextArgs('say %s'), ['say%s%', 's']);
  assert.equal(typed('say %s'), 'say %s');
  assert.equal(typed('%s%s'), '%s%s');
  assert.equal(typed('%%ss'), '%%ss');
  assert.deepEqual(textCommands('a%sb'), [['input', 'text', 'a%'], ['input', 'text', 'sb']]);
});

test('what the device shell receives is quoted: metacharacters are never interpreted', () => {
  const line = shellCommand(textCommands(`'; rm -rf / $(x) "`)[0]);
  assert.equal(line, `input text ''\\'';%srm%s-rf%s/%s$(x)%s"'`);
});

test('characters outside printable ASCII cannot be typed by input text, and say which', () => {
  assert.deepEqual(untypable('naïve café 日本'), ['ï', 'é', '日', '本']);
  assert.deepEqual(untypable('tab\there'), ['\t']);
  assert.throws(() => inputTextArgs('café'), /printable ASCII; cannot type "é"/);
  assert.deepEqual(untypable('plain ASCII ~'), []);
});
