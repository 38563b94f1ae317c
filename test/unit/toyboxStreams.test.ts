/**
 * toybox's streaming commands on the virtual phone: dd's records and statistics, the hash sums, bytes kept
 * exactly, big files read chunk by chunk, back-pressure and SIGPIPE, and commands stopped by a signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { withPhone } from '../helpers/phoneShell';
import { waitFor } from '../helpers/adbServer';
import { TOYBOX } from '../../extension/core/virtualPhone/commands/toybox';
import type { CommandContext, Io } from '../../extension/core/virtualPhone/commands/types';
import type { VirtualDevice } from '../../extension/core/virtualPhone/device';
import { type Abort, EMPTY, bufferReader, toBuffer, type Reader } from '../../extension/core/virtualPhone/os/io';

const T = '/data/local/tmp';

/** Runs one toybox command directly (no shell) as a process of the phone, with the Io given. */
function direct(device: VirtualDevice, argv: string[], io: Partial<Io> & { stdin?: Reader }, cwd = T): { done: Promise<number>; pid: number; signal: Abort } {
  const proc = device.procs.spawn(argv[0], argv);
  const ctx: CommandContext = {
    device, phone: device.phone, fs: device.fs, cwd, env: { PATH: '/system/bin' }, pid: proc.pid, ppid: 1, uid: 2000,
    sh: async () => 0,
  };
  const signal = proc.abort;
  const full: Io = { stdin: io.stdin ?? EMPTY, out: io.out ?? (async () => undefined), err: io.err ?? (async () => undefined), signal, tty: false };
  const done = Promise.resolve(TOYBOX[argv[0]](argv, full, ctx)).finally(() => device.procs.exit(proc.pid));
  return { done, pid: proc.pid, signal };
}

test('dd: records in/out, partial records, statistics line, skip/seek/notrunc, errors', async () => {
  await withPhone(async (_d, sh) => {
    const r = await sh(`dd if=/dev/zero of=${T}/z bs=1k count=3`);
    assert.equal(r.code, 0);
    // toys/pending/dd.c status(): "%llu+%llu records in\n%llu+%llu records out\n" then
    // "%llu bytes (%s) copied, %llu.%03u s, %s/s\n" with human_readable(HR_SPACE|HR_B)
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], '3+0 records in');
    assert.equal(lines[1], '3+0 records out');
    assert.match(lines[2], /^3072 bytes \(3\.0 K\) copied, \d+\.\d{3} s, \d+(\.\d)? [KMG]?B?\/s$/);
    assert.equal((await sh(`stat -c %s ${T}/z`)).stdout, '3072\n');
    // a short read is a partial record ("1+1")
    const part = await sh('dd bs=2', 'abc');
    assert.equal(part.stdout, 'abc');
    assert.match(part.stderr, /^1\+1 records in\n1\+1 records out\n3 bytes \(3 B\) copied, /);
    // ibs and obs apart: input and output records counted in their own sizes
    assert.match((await sh(`dd if=${T}/z of=${T}/z2 ibs=1k obs=512`)).stderr, /^3\+0 records in\n6\+0 records out\n/);
    await sh(`printf 0123456789 > ${T}/d`);
    assert.equal((await sh(`dd if=${T}/d bs=1 skip=2 count=3 status=none`)).stdout, '234');
    assert.equal((await sh(`cp ${T}/d ${T}/e && printf XY | dd of=${T}/e bs=1 seek=5 conv=notrunc status=none && cat ${T}/e`)).stdout, '01234XY789');
    // without notrunc, seek= truncates the output there (dd.c ftruncate)
    assert.equal((await sh(`cp ${T}/d ${T}/f && printf XY | dd of=${T}/f bs=1 seek=2 status=none && cat ${T}/f`)).stdout, '01XY');
    assert.equal((await sh(`dd if=${T}/d bs=4 count=1 status=noxfer`)).stderr, '1+0 records in\n1+0 records out\n');
    assert.equal((await sh(`dd if=${T}/d bs=4 count=1 status=none`)).stderr, '');
    // count in blocks of ibs; suffixes k/M as atolx() reads them
    assert.equal((await sh('dd if=/dev/zero bs=1M count=4 status=none | wc -c')).stdout, '4194304\n');
    assert.equal((await sh('dd if=/dev/zero bs=2k count=1 status=none | wc -c')).stdout, '2048\n');
    const badArg = await sh('dd foo=1');
    assert.deepEqual([badArg.code, badArg.stderr], [1, 'dd: bad arg foo=1\n']);
    const zero = await sh('dd bs=0');
    assert.deepEqual([zero.code, zero.stderr], [1, 'dd: 0 < 1\n']);
    // a missing if=: the error, then the statistics (sigatexit(status))
    const miss = await sh(`dd if=${T}/nope`);
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /^dd: \/data\/local\/tmp\/nope: No such file or directory\n0\+0 records in\n0\+0 records out\n0 bytes \(0 B\) copied/);
    const ro = await sh('dd if=/dev/zero of=/system/x count=1');
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /^dd: \/system\/x: Read-only file system\n/);
  });
});

test('md5sum, sha1sum, sha256sum, sha512sum: files, stdin, -b, -c', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`printf 'hello\\n' > ${T}/h`);
    const want = (algo: string): string => createHash(algo).update('hello\n').digest('hex');
    // toys/lsb/md5sum.c: "%s  %s\n" (two spaces), "-" for stdin, -b only the hash
    for (const [cmd, algo] of [['md5sum', 'md5'], ['sha1sum', 'sha1'], ['sha256sum', 'sha256'], ['sha512sum', 'sha512']]) {
      assert.equal((await sh(`${cmd} ${T}/h`)).stdout, `${want(algo)}  ${T}/h\n`);
      assert.equal((await sh(cmd, 'hello\n')).stdout, `${want(algo)}  -\n`);
    }
    assert.equal((await sh(`md5sum -b ${T}/h`)).stdout, `${want('md5')}\n`);
    // -c: "NAME: OK" / "NAME: FAILED", exit 1 on a mismatch
    await sh(`cd ${T} && md5sum h > sums && printf 'x' > other && echo "${'0'.repeat(32)}  other" >> sums`);
    const c = await sh(`cd ${T} && md5sum -c sums`);
    assert.deepEqual([c.code, c.stdout], [1, 'h: OK\nother: FAILED\n']);
    assert.equal((await sh(`cd ${T} && md5sum h | md5sum -c`)).stdout, 'h: OK\n');
    const miss = await sh(`md5sum ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `md5sum: ${T}/nope: No such file or directory\n`]);
    const s = await sh(`md5sum -s ${T}/h`);
    assert.deepEqual([s.code, s.stderr], [1, 'md5sum: -s only with -c\n']);
  });
});

test('bytes stay exact: cat, dd, tee, head, tail, tr, sed, sort carry every byte value', async () => {
  await withPhone(async (_d, sh) => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = Buffer.concat([all, all.reverse(), all]);
    const md5 = createHash('md5').update(data).digest('hex');
    assert.equal((await sh(`cat > ${T}/bin`, data)).code, 0);
    assert.equal((await sh(`md5sum < ${T}/bin`)).stdout, `${md5}  -\n`);
    assert.deepEqual((await sh(`cat ${T}/bin`)).bytes, data);
    assert.deepEqual((await sh(`cat - < ${T}/bin`)).bytes, data);
    assert.deepEqual((await sh(`dd if=${T}/bin bs=7 status=none`)).bytes, data);
    assert.deepEqual((await sh(`tee ${T}/bin2 < ${T}/bin`)).bytes, data);
    assert.equal((await sh(`md5sum ${T}/bin2`)).stdout, `${md5}  ${T}/bin2\n`);
    assert.deepEqual((await sh(`head -c 300 ${T}/bin`)).bytes, data.subarray(0, 300));
    assert.deepEqual((await sh(`tail -c 300 ${T}/bin`)).bytes, data.subarray(data.length - 300));
    assert.deepEqual((await sh(`tr x x < ${T}/bin`)).bytes, data);
    assert.deepEqual((await sh(`sed -n p < ${T}/bin`)).bytes, data);
    // cat with - in the middle: stdin there (cat.c loopfiles)
    await sh(`printf A > ${T}/a && printf C > ${T}/c`);
    assert.equal((await sh(`cat ${T}/a - ${T}/c`, 'B')).stdout, 'ABC');
    // cat -v/-e/-t show what cannot be seen (cat.c do_cat)
    assert.equal((await sh('cat -vet', Buffer.from([0x09, 0x01, 0x7f, 0xe9, 0x0a]))).stdout, '^I^A^?M-i$\n');
    // a folder opens and its first read fails (cat.c, wc.c report it; md5sum.c hashes nothing)
    const dir = await sh(`cat ${T}`);
    assert.deepEqual([dir.code, dir.stderr], [1, `cat: ${T}: Is a directory\n`]);
    const wcDir = await sh(`wc ${T}`);
    assert.deepEqual([wcDir.code, wcDir.stdout, wcDir.stderr], [1, `0 0 0 ${T}\n`, `wc: ${T}: Is a directory\n`]);
    assert.equal((await sh(`md5sum ${T}`)).stdout, `d41d8cd98f00b204e9800998ecf8427e  ${T}\n`);
  });
});

/**
 * Counts what every host file read hands over while `fn` runs: the largest single read and the bytes in all. A command
 * that read a whole file at once (readFile, or one read of its size) shows here as one read of that size, whatever the
 * machine's load.
 */
async function countingReads<T>(fn: () => Promise<T>): Promise<{ result: T; largest: number; total: number }> {
  const h = await fsp.open(__filename, 'r');
  const proto = Object.getPrototypeOf(h) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }>; readFile: (...a: unknown[]) => Promise<Buffer | string> };
  await h.close();
  let largest = 0;
  let total = 0;
  const saw = (n: number) => {
    largest = Math.max(largest, n);
    total += n;
  };
  const sizeOf = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  const fsSync = createRequire(__filename)('node:fs') as typeof import('node:fs');
  const orig = { read: proto.read, handleReadFile: proto.readFile, readFile: fsp.readFile, readFileSync: fsSync.readFileSync };
  proto.read = async function (this: unknown, ...a: unknown[]) {
    const r = await orig.read.apply(this, a);
    saw(r.bytesRead);
    return r;
  };
  proto.readFile = async function (this: unknown, ...a: unknown[]) {
    const r = await orig.handleReadFile.apply(this, a);
    saw(sizeOf(r));
    return r;
  };
  const patched = fsp as unknown as Record<string, unknown>;
  const patchedSync = fsSync as unknown as Record<string, unknown>;
  patched.readFile = async (...a: unknown[]) => {
    const r = await (orig.readFile as (...x: unknown[]) => Promise<Buffer | string>)(...a);
    saw(sizeOf(r));
    return r;
  };
  patchedSync.readFileSync = (...a: unknown[]) => {
    const r = (orig.readFileSync as (...x: unknown[]) => Buffer | string)(...a);
    saw(sizeOf(r));
    return r;
  };
  syncBuiltinESMExports();
  try {
    const result = await fn();
    return { result, largest, total };
  } finally {
    proto.read = orig.read;
    proto.readFile = orig.handleReadFile;
    patched.readFile = orig.readFile;
    patchedSync.readFileSync = orig.readFileSync;
    syncBuiltinESMExports();
  }
}

// A hang guard only: how fast the passes go is the machine's business (bench), how they read is checked below.
test('a large file streams: wc, md5sum, head, tail, dd and grep read it chunk by chunk', { timeout: 60000 }, async () => {
  await withPhone(async (_d, sh) => {
    const size = 48 * 1024 * 1024;
    assert.equal((await sh(`dd if=/dev/zero of=${T}/big bs=1M count=48 status=none && echo >> ${T}/big && echo end >> ${T}/big`)).code, 0);
    const { largest, total } = await countingReads(async () => {
      assert.equal((await sh(`wc -c ${T}/big`)).stdout, `${size + 5} ${T}/big\n`);
      const zeros = createHash('md5').update(Buffer.alloc(size)).update('\nend\n').digest('hex');
      assert.equal((await sh(`md5sum ${T}/big`)).stdout, `${zeros}  ${T}/big\n`);
      const last = (await sh(`tail -n 1 ${T}/big`)).stdout;
      assert.ok(last === 'end\n', `tail -n 1 gave ${last.length} bytes`);
      assert.equal((await sh(`tail -c 5 ${T}/big | od -A n -t x1`)).stdout, ' 0a 65 6e 64 0a\n');
      assert.equal((await sh(`head -c 3 ${T}/big | od -A n -t x1`)).stdout, ' 00 00 00\n');
      assert.equal((await sh(`dd if=${T}/big bs=1M skip=48 status=none`)).stdout, '\nend\n');
      assert.equal((await sh(`grep -c end ${T}/big`)).stdout, '1\n');
      assert.equal((await sh(`sed -n '$p' ${T}/big`)).stdout, 'end\n');
      assert.equal((await sh(`cat ${T}/big | wc -l`)).stdout, '2\n');
    });
    // md5sum, grep, sed and cat each go through the whole file (wc -c and tail may seek): at least 4 × 48 MiB read …
    assert.ok(total >= 4 * size, `${(total / 2 ** 20).toFixed(1)} MiB read from host files`);
    // … and never more than 1 MiB at once (dd's bs=1M; the readers' own chunk is 64 KiB), so never the file whole.
    assert.ok(largest <= 1024 * 1024, `the largest single read was ${largest} bytes`);
  });
});

test('back-pressure: yes waits for its reader and stops on SIGPIPE; sleep stops when killed', async () => {
  await withPhone(async (device) => {
    // yes writes only when the previous write was taken
    let pending: (() => void) | undefined;
    let writes = 0;
    let bytes = 0;
    const yes = direct(device, ['yes'], {
      out: (d) => {
        writes++;
        bytes += toBuffer(d).length;
        return new Promise<void>((resolve) => (pending = resolve));
      },
    });
    await waitFor('yes\'s first write', () => writes >= 1, 5000, 5);
    // It had the time for many more writes; it made none while the first was not taken.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(writes, 1, 'one write outstanding, nothing more until it is taken');
    assert.ok(bytes >= 65536 && bytes < 200000, `${bytes} bytes buffered`);
    pending?.();
    await waitFor('yes\'s second write', () => writes >= 2, 5000, 5);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(writes, 2);
    // the reader goes away: SIGPIPE, exit 128+13
    yes.signal.abort('SIGPIPE');
    pending?.();
    assert.equal(await yes.done, 141);

    // sleep killed with SIGTERM: returns at once with 128+15
    const sleep = direct(device, ['sleep', '30'], {});
    await new Promise((r) => setTimeout(r, 30));
    const killed = Date.now();
    assert.equal(device.procs.kill(sleep.pid, 15), undefined);
    assert.equal(await sleep.done, 143);
    assert.ok(Date.now() - killed < 10000, `sleep 30 ended ${Date.now() - killed} ms after SIGTERM, not after its 30 s`);

    // cat from a stdin that never ends, killed: it stops reading
    let reads = 0;
    const endless: Reader = { read: async () => { reads++; await new Promise((r) => setTimeout(r, 5)); return Buffer.from('x'); } };
    const out: Buffer[] = [];
    const cat = direct(device, ['cat'], { stdin: endless, out: async (d) => { out.push(toBuffer(d)); } });
    await waitFor('cat reading', () => reads >= 3 && out.length >= 2, 5000, 5);
    device.procs.kill(cat.pid, 9);
    const code = await cat.done;
    assert.equal(code, 137);
    const after = reads;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(reads, after, 'no reads after the kill');
    void bufferReader;
  });
});
