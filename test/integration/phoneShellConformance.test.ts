import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { startPhoneOverAdb, type PhoneOverAdb } from '../helpers/phoneAdb';
import { waitFor } from '../helpers/adbServer';

/**
 * The virtual phone's shell and stdin, driven by the real adb CLI (Debian's adb 29.0.6) through a real adb
 * server — what a developer's scripts and tools send. Expected behaviour is mksh's (Android's /system/bin/sh,
 * its manual mksh.1) and adbd's (daemon/shell_service.cpp: v2 packets, close-stdin; no pty without a
 * terminal unless forced with -t -t).
 */
let p: PhoneOverAdb;

before(async () => {
  p = await startPhoneOverAdb();
});

after(async () => {
  await p?.stop();
});

const sh = (line: string, input?: Buffer | string) => p.adb(['shell', line], { input });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('stdin reaches the command byte for byte: printf | adb shell cat, cat > f < 10 MB, exec-in, exec-out', async () => {
  assert.equal((await sh('cat', 'x')).stdout, 'x');
  const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = randomBytes(10 * 1024 * 1024);
  const file = path.join(p.tmp, 'big.bin');
  await writeFile(file, big);
  const w = await p.adb(['shell', 'cat > /data/local/tmp/big.bin'], { input: await readFile(file), timeoutMs: 60000 });
  assert.equal(w.code, 0, w.stderr);
  assert.equal((await sh('sha256sum /data/local/tmp/big.bin')).stdout.split(/\s+/)[0], sha(big));
  const back = path.join(p.tmp, 'back.bin');
  assert.equal((await p.adb(['pull', '/data/local/tmp/big.bin', back])).code, 0);
  assert.equal(sha(await readFile(back)), sha(big));
  const ei = await p.adb(['exec-in', 'cat > /data/local/tmp/ei.bin'], { input: every });
  assert.equal(ei.code, 0, ei.stderr);
  // adb exec-in returns once it has sent stdin (client/commandline.cpp): the phone may still be writing the
  // file, as a real phone may. Wait for the whole file, then compare.
  let eo = await p.adb(['exec-out', 'cat /data/local/tmp/ei.bin']);
  for (let i = 0; i < 50 && eo.bytes.length < every.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    eo = await p.adb(['exec-out', 'cat /data/local/tmp/ei.bin']);
  }
  assert.ok(eo.bytes.equals(every), 'exec-in wrote every byte value, exec-out read them back');
  // Piped stdin with a pipeline and a redirection inside the phone
  assert.equal((await sh('tr a-z A-Z | cat', 'hello\n')).stdout, 'HELLO\n');
});

test('the shell Android scripts are written for: variables, expansions, globs, tests, loops, case, functions', async () => {
  await sh('mkdir -p /data/local/tmp/m && cd /data/local/tmp/m && touch a.onnx b.onnx c.tflite');
  const cases: Array<[string, string, number?]> = [
    ['X=1; echo $X ${X} "${X}"', '1 1 1\n'],
    ['echo ${UNSET:-default} ${UNSET-} ${#PATH} ${PATH%%:*}', 'default 143 /product/bin\n'],
    ['export A=b; sh -c \'echo $A\'', 'b\n'],
    ['A=inner sh -c \'echo $A\'; echo "[$A]"', 'inner\n[]\n'],
    ['LD_LIBRARY_PATH=lib env | grep ^LD_LIBRARY_PATH=', 'LD_LIBRARY_PATH=lib\n'],
    ['echo $(echo sub) `echo tick` $((6*7)) $((1<<4))', 'sub tick 42 16\n'],
    ['test $$ -gt 1 && echo pid', 'pid\n'],
    ['false; echo $?; true; echo $?', '1\n0\n'],
    ['set -- a "b c" d; echo $#; for x in "$@"; do echo "<$x>"; done', '3\n<a>\n<b c>\n<d>\n'],
    ['ls /data/local/tmp/m/*.onnx', '/data/local/tmp/m/a.onnx\n/data/local/tmp/m/b.onnx\n'],
    ['cd /data/local/tmp/m && echo *.tflite ?.onnx [ab].onnx', 'c.tflite a.onnx b.onnx a.onnx b.onnx\n'],
    ['echo /data/local/tmp/m/*.none', '/data/local/tmp/m/*.none\n'],
    ['echo "*.onnx" \'*\'', '*.onnx *\n'],
    ['[ -d /data/local/tmp ] && [ -f /data/local/tmp/m/a.onnx ] && [ ! -e /nope ] && echo files', 'files\n'],
    ['[ -z "" ] && [ -n x ] && [ a = a ] && [ a != b ] && [ 2 -lt 10 ] && [ 3 -eq 3 ] && test -w /data/local/tmp && echo strs', 'strs\n'],
    ['[ -s /data/local/tmp/m/a.onnx ] || echo empty', 'empty\n'],
    ['if [ 1 -gt 2 ]; then echo a; elif [ 2 -gt 1 ]; then echo b; else echo c; fi', 'b\n'],
    ['i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done', '1\n2\n3\n'],
    ['i=3; until [ $i -eq 0 ]; do echo $i; i=$((i-1)); done', '3\n2\n1\n'],
    ['for f in /data/local/tmp/m/*; do case $f in *.onnx) echo onnx;; *.tflite) echo tflite;; *) echo other;; esac; done', 'onnx\nonnx\ntflite\n'],
    ['f() { local v=$1; echo "in:$v:$#"; return 7; }; f one two; echo $? $v', 'in:one:2\n7\n'],
    ['echo out; echo err >&2', 'out\n'],
    ['echo a > /data/local/tmp/r.txt; echo b >> /data/local/tmp/r.txt; cat < /data/local/tmp/r.txt', 'a\nb\n'],
    ['ls /nope 2>/dev/null; echo $?', '1\n'],
    ['ls /nope 2>&1 | grep -c "No such file"', '1\n'],
    ['cat /dev/null; head -c 4 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c', '4\n16\n'],
    ['cd /sdcard && pwd; cd /data/local/tmp; pwd', '/sdcard\n/data/local/tmp\n'],
    ['printf "1 2\\n3 4\\n" | while read a b; do echo "$b$a"; done', '21\n43\n'],
    ['read x <<EOF\nhere-doc\nEOF\necho $x', 'here-doc\n'],
    ['cat <<EOF\nHOME=$HOME\nEOF\ncat <<\'EOF\'\n$HOME\nEOF', 'HOME=/\n$HOME\n'],
    ['trap "echo bye" EXIT; echo hi', 'hi\nbye\n'],
    ['(exit 3); echo $?; sh -c "exit 4"; echo $?', '3\n4\n'],
    ['true && echo and || echo or; false && echo and || echo or', 'and\nor\n'],
    ['echo 1; exit 5; echo never', '1\n', 5],
    ['nosuchcommand', '', 127],
    ['sleep 0.1; echo slept', 'slept\n'],
    ['x=$(printf "a\\n\\n"); echo "[$x]"', '[a]\n'],
  ];
  for (const [line, want, code] of cases) {
    const r = await sh(line);
    assert.equal(r.stdout, want, `${line}\nstderr: ${r.stderr}`);
    assert.equal(r.code, code ?? 0, `exit status of ${line}`);
  }
  const unknown = await sh('nosuchcommand');
  assert.equal(unknown.stderr, '/system/bin/sh: nosuchcommand: inaccessible or not found\n');
  const split = await sh('echo out; echo err >&2');
  assert.equal(split.stderr, 'err\n', 'stderr stays apart with shell protocol v2');
});

test('a script on stdin runs silently without a pty; a forced pty gets the prompt', async () => {
  const silent = await p.adb(['shell'], { input: 'echo one\nX=2\necho $X\nif true; then\n  echo multi\nfi\nexit 9\necho never\n' });
  assert.equal(silent.stdout, 'one\n2\nmulti\n');
  assert.equal(silent.code, 9);
  const tty = await p.adb(['shell', '-t', '-t'], { input: 'echo hi\nexit\n' });
  assert.match(tty.stdout, /\$ /, 'the prompt appears with a pty');
  assert.match(tty.stdout, /hi\r\n/, 'a pty turns \\n into \\r\\n');
});

test('exit statuses and signals: adb shell returns the status; a trap on HUP runs when the host goes away', async () => {
  assert.equal((await sh('exit 42')).code, 42);
  const sleeping = () => p.phone.device.procs.byName('sleep').filter((x) => x.argv[1] === '30');
  assert.equal(sleeping().length, 0);
  const child = p.spawnAdb(['shell', '-T', 'trap "echo hup > /data/local/tmp/hup.txt" HUP; sleep 30']);
  // The trap is set once the shell has reached the sleep after it; the host goes away only then.
  await waitFor('the shell to reach its sleep', () => sleeping().length > 0, 20000);
  child.kill('SIGKILL');
  const seen = await waitFor('hup.txt', async () => (await sh('cat /data/local/tmp/hup.txt 2>/dev/null')).stdout || undefined, 15000, 100);
  assert.equal(seen, 'hup\n');
  await waitFor('the sleep to end with its shell', () => sleeping().length === 0, 15000);
});

test('the sandbox holds: no .., symlink, glob or redirection reaches outside the phone', async () => {
  const hostCanary = path.join(p.tmp, 'canary.txt');
  await writeFile(hostCanary, 'host');
  const r = await sh('cd /; cd ../../../..; pwd; echo /../../*; cat ../../../canary.txt 2>&1; echo x > ../../../../escaped.txt; ls /../..');
  assert.match(r.stdout, /^\/\n/);
  assert.doesNotMatch(r.stdout, /host/);
  assert.equal(await readFile(hostCanary, 'utf8'), 'host');
  await assert.rejects(readFile(path.join(p.tmp, 'escaped.txt')));
  await assert.rejects(readFile(path.join(path.dirname(p.tmp), 'escaped.txt')));
});

test('100 simultaneous shell streams each get their own answer; a host vanishing mid-stream leaves the phone serving', async () => {
  const runs = await Promise.all(Array.from({ length: 100 }, (_, i) => sh(`echo n${i}; echo $((${i} * 2))`)));
  runs.forEach((r, i) => assert.equal(r.stdout, `n${i}\n${i * 2}\n`));
  const before = p.phone.device.procs.list().length;
  const catting = () => p.phone.device.procs.byName('cat').filter((x) => x.argv[1] === '/dev/zero');
  const child = p.spawnAdb(['shell', 'cat /dev/zero']);
  // The host vanishes mid-stream: only once the cat runs (and is writing into the stream).
  await waitFor('the cat to start', () => catting().length > 0, 20000);
  child.kill('SIGKILL');
  let after = -1;
  try {
    await waitFor('the cat to end', () => { after = p.phone.device.procs.list().length; return after <= before && catting().length === 0; }, 15000, 100);
  } catch { /* reported below */ }
  assert.ok(after <= before && catting().length === 0, `the cat whose reader vanished ended (processes ${before} → ${after})`);
  assert.equal((await sh('echo still here')).stdout, 'still here\n');
});
