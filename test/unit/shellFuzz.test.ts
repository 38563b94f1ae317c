import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../extension/core/search/rng';
import { VirtualDevice, mergeProfile } from '../../extension/core/virtualPhone/device';
import { Sandbox } from '../../extension/core/virtualPhone/sandbox';
import { EMPTY } from '../../extension/core/virtualPhone/os/io';
import { Shell } from '../../extension/core/virtualPhone/sh/interp';
import { CaptureWriter, InStream } from '../../extension/core/virtualPhone/sh/streams';

/**
 * 10,000 random shell lines (words, operators, quotes, expansions, redirections, globs, `..`, symlinks, and raw
 * random bytes) into the phone's shell: none throws out of the interpreter, none hangs past a kill, and none
 * touches a file outside the phone's folder.
 */
const VOCAB = [
  'echo', 'cat', 'ls', 'ls -la', 'cd', 'pwd', 'rm -rf', 'mkdir -p', 'touch', 'ln -s', 'cp -r', 'mv', 'sh -c', 'test', '[', ']', 'true', 'false',
  'X=1', 'export Y=2', 'read v', 'set --', 'shift', 'eval', 'exec', 'exit 3', 'return', 'break', 'f()', '{', '}', '(', ')', ';', '&&', '||', '|', '&',
  '>', '>>', '<', '2>&1', '>&2', '<&0', '<<EOF', '/dev/null', '/dev/zero', '..', '../..', '../../../..', '/', '/data/local/tmp', '/sdcard',
  '/system/bin', '/proc/self/status', '*', '?', '[a-z]*', '/../../*', '$X', '${X:-d}', '${#X}', '${X%%*}', '${X/a/b}', '$(echo', '`echo', "'q'",
  '"dq $X"', '$((1+2))', '$((1/0))', '$((', '${', '$@', '"$@"', '$?', '$$', 'if', 'then', 'else', 'fi', 'for', 'in', 'do', 'done', 'while',
  'case', 'esac', '*)', ';;', 'x', 'y', '-f', '-d', '-e', '=', '!=', '-eq', 'head -c 10', 'wc -c', 'grep a', 'trap', 'HUP', 'EXIT', 'getprop',
  'ro.product.model', 'pm list packages', 'ps -A', 'logcat -d -t 3', 'id', 'env', 'printf %s', 'seq 3', 'sort', 'uniq', 'tr a b', '\\', '#',
];

function randomLine(rng: Rng): string {
  if (rng.next() < 0.05) return Buffer.from(Array.from({ length: 1 + rng.int(40) }, () => rng.int(256))).toString('latin1');
  const n = 1 + rng.int(9);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(VOCAB));
  return words.join(rng.next() < 0.1 ? '' : ' ');
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await tree(p)));
  }
  return out.sort();
}

test('10,000 random shell lines: no crash, no hang past an abort, nothing outside the sandbox touched', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'mobileai-shfuzz-'));
  try {
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'host secret');
    const before = await tree(outside);
    const secretStat = await stat(path.join(outside, 'secret.txt'));
    const sb = new Sandbox(path.join(base, 'phone', 'fs'));
    await sb.init();
    const device = new VirtualDevice(mergeProfile({}), sb, 'fuzz:1');
    const baseline = device.procs.list().length;
    const rng = new Rng(12);
    let aborted = 0;
    for (let i = 0; i < 10000; i++) {
      const line = randomLine(rng);
      const sh = new Shell({ device });
      const out = new CaptureWriter();
      const timer = setTimeout(() => {
        aborted++;
        sh.signal.abort('test timeout');
      }, 250);
      try {
        const code = await sh.run(line, { 0: InStream.of(EMPTY), 1: out, 2: out });
        assert.ok(Number.isInteger(code) && code >= 0 && code <= 255, `status ${code} for ${JSON.stringify(line)}`);
      } catch (e) {
        assert.fail(`line ${i} ${JSON.stringify(line)} threw ${e instanceof Error ? e.stack : String(e)}`);
      } finally {
        clearTimeout(timer);
        sh.signal.abort('done');
        sh.dispose();
      }
    }
    // Background jobs end too (none may outlive an abort for long).
    for (let k = 0; k < 50 && device.procs.list().length > baseline; k++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(device.procs.list().length <= baseline + 2, `processes left: ${device.procs.list().length - baseline}`);
    assert.deepEqual(await tree(outside), before, 'no file appeared or vanished outside the phone');
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'host secret');
    assert.equal((await stat(path.join(outside, 'secret.txt'))).mtimeMs, secretStat.mtimeMs);
    const siblings = (await readdir(base)).sort();
    assert.deepEqual(siblings, ['outside', 'phone']);
    assert.ok(aborted < 200, `${aborted} lines needed an abort`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
