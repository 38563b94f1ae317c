/**
 * Commands that stream file contents: cat, dd, md5sum/sha*sum, tee, cmp, xxd, od, base64. Large files are
 * read chunk by chunk and written with back-pressure; nothing is loaded whole.
 */
import { createHash } from 'node:crypto';
import type { CommandTable } from '../types';
import { Aborted, HR_B, HR_SPACE, ToyExit, atolx, fromB, humanReadable, loopFiles, toy, type Input, type Output } from './common';
import { errnoText } from '../types';

/* ------------------------------------------------------------------ */
/* cat (toys/posix/cat.c)                                              */

const cat = toy('cat', { opts: 'uvte', usage: 'cat [-etuv] [FILE...]' }, async (t) => {
  const o = t.o;
  const transform = o.has('v') || o.has('t') || o.has('e');
  await loopFiles(t, t.args, async (input) => {
    for (let c = await input.read(); c !== null; c = await input.read()) {
      if (!transform) {
        await t.out(c);
        continue;
      }
      let s = '';
      for (const byte of c) {
        let b = byte;
        if (b > 126 && o.has('v')) {
          if (b > 127) {
            s += 'M-';
            b -= 128;
          }
          if (b === 127) {
            s += '^?';
            continue;
          }
        }
        if (b < 32) {
          if (b === 10) {
            if (o.has('e')) s += '$';
          } else if (b === 9 ? o.has('t') : o.has('v')) {
            s += `^${String.fromCharCode(b + 64)}`;
            continue;
          }
        }
        s += String.fromCharCode(b);
      }
      await t.outB(s);
    }
  });
});

/* ------------------------------------------------------------------ */
/* dd (toys/pending/dd.c in 0.8.9, the one Android 14 ships)           */

const dd = toy('dd', { usage: 'dd [if|of=FILE] [ibs|obs|bs|count|seek|skip=N] [conv|status|iflag|oflag=FLAG[,FLAG...]]' }, async (t) => {
  let bs = 0;
  let ibs = 512;
  let obs = 512;
  let count = Infinity;
  let inName: string | undefined;
  let outName: string | undefined;
  let skip = 0;
  let seek = 0;
  let showXfer = true;
  let showRecords = true;
  const conv = new Set<string>();
  const iflag = new Set<string>();
  const oflag = new Set<string>();
  const range = (v: string, low: number): number => {
    const n = atolx(v);
    if (n < low) t.fail(`${n} < ${low}`);
    return n;
  };
  const flags = (what: string, v: string, allowed: string[], into: Set<string>): void => {
    const left: string[] = [];
    for (const f of v.split(',')) {
      if (allowed.includes(f)) into.add(f);
      else if (f) left.push(f);
    }
    if (left.length) t.fail(`bad ${what}=${left.join(',')}`);
  };
  for (const a of t.args) {
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq + 1) : '';
    const v = a.slice(eq + 1);
    if (key === 'bs=') bs = range(v, 1);
    else if (key === 'ibs=') ibs = range(v, 1);
    else if (key === 'obs=') obs = range(v, 1);
    else if (key === 'count=') count = range(v, 0);
    else if (key === 'if=') inName = v;
    else if (key === 'of=') outName = v;
    else if (key === 'seek=') seek = range(v, 0);
    else if (key === 'skip=') skip = range(v, 0);
    else if (key === 'status=') {
      if (v === 'noxfer') showXfer = false;
      else if (v === 'none') showXfer = showRecords = false;
      else t.fail(`unknown status '${v}'`);
    } else if (key === 'conv=') flags('conv', v, ['fsync', 'noerror', 'notrunc', 'sync'], conv);
    else if (key === 'iflag=') flags('iflag', v, ['count_bytes', 'skip_bytes'], iflag);
    else if (key === 'oflag=') flags('oflag', v, ['seek_bytes'], oflag);
    else t.fail(`bad arg ${a}`);
  }
  if (bs) ibs = obs = bs;

  const start = Date.now();
  let bytes = 0;
  let inFull = 0, inPart = 0, outFull = 0, outPart = 0;
  // The closing statistics print on every exit but SIGPIPE, as toybox's sigatexit(status).
  const status = async (): Promise<void> => {
    let s = '';
    if (showRecords) s += `${inFull}+${inPart} records in\n${outFull}+${outPart} records out\n`;
    if (showXfer) {
      const now = Date.now() - start || 1;
      const rate = bytes ? Math.floor((bytes * 1000) / now) : 0;
      s += `${bytes} bytes (${humanReadable(bytes, HR_SPACE | HR_B)}) copied, ${Math.floor(now / 1000)}.${String(now % 1000).padStart(3, '0')} s, ${humanReadable(rate, HR_SPACE | HR_B)}/s\n`;
    }
    if (s) await t.errRaw(s);
  };

  let input: Input | undefined;
  let output: Output | undefined;
  try {
    try {
      input = inName === undefined ? await t.open('-') : await t.open(inName);
    } catch (e) {
      await t.perr(inName ?? 'stdin', e);
      await status();
      return 1;
    }
    const inLabel = inName ?? 'stdin';
    const outLabel = outName ?? 'stdout';
    const trunc = !conv.has('notrunc');
    if (outName !== undefined) {
      try {
        output = await t.create(outName, { truncate: trunc && !seek });
      } catch (e) {
        await t.perr(outName, e);
        await status();
        return 1;
      }
    }

    // Reads of at most n bytes: a regular file gives full blocks, a pipe what arrived (partial records).
    let carry: Buffer | null = null;
    let filePos = 0;
    let fb: Buffer = Buffer.alloc(0);
    let fbStart = 0;
    const regular = !!(input.pread && input.size !== undefined);
    const readUpTo = async (n: number): Promise<Buffer> => {
      const inp = input as Input;
      if (regular && inp.pread) {
        if (filePos < fbStart || filePos + n > fbStart + fb.length) {
          fb = await inp.pread(Math.max(n, 1 << 20), filePos);
          fbStart = filePos;
        }
        const out = fb.subarray(filePos - fbStart, filePos - fbStart + n);
        filePos += out.length;
        return out;
      }
      if (!carry || !carry.length) carry = await inp.read();
      if (!carry) return Buffer.alloc(0);
      if (inp.device && carry.length < n) {
        // a character device fills the whole read
        const parts = [carry];
        let have = carry.length;
        while (have < n) {
          const more = await inp.read();
          if (!more) break;
          parts.push(more);
          have += more.length;
        }
        carry = Buffer.concat(parts);
      }
      const out = carry.subarray(0, n);
      carry = carry.subarray(out.length);
      return out;
    };

    // skip=
    if (skip) {
      let off = iflag.has('skip_bytes') ? skip : skip * ibs;
      if (regular) filePos = off;
      else {
        while (off > 0) {
          const got = await readUpTo(Math.min(off, ibs));
          if (!got.length) {
            await t.out(`${inLabel}: Can't skip\n`);
            await t.flush();
            await status();
            return 0;
          }
          off -= got.length;
        }
      }
    }

    // Writes coalesce for regular files (the records are counted as dd writes them).
    let outPos = 0;
    let pendingOut: Buffer[] = [];
    let pendingLen = 0;
    const flushOut = async (): Promise<void> => {
      if (!pendingLen) return;
      const b = Buffer.concat(pendingOut, pendingLen);
      pendingOut = [];
      pendingLen = 0;
      if (output) {
        try {
          await output.write(b, outPos);
        } catch (e) {
          throw new ToyExit(`${outLabel}: write error: ${errnoText(e)}`, 1);
        }
        outPos += b.length;
      } else await t.out(b);
    };
    const writeRecord = async (b: Buffer): Promise<void> => {
      if (b.length === obs) outFull++;
      else outPart++;
      bytes += b.length;
      pendingOut.push(b);
      pendingLen += b.length;
      if (pendingLen >= 1 << 20) await flushOut();
    };

    // seek=
    const seekBytes = oflag.has('seek_bytes') ? seek : seek * obs;
    if (seekBytes) {
      outPos = seekBytes;
      if (output && trunc && output.regular) await output.truncate(seekBytes);
    }

    let left = iflag.has('count_bytes') ? count : count * ibs;
    let buffered: Buffer[] = [];
    let bufferedLen = 0;
    while (left > 0) {
      if (t.aborted) throw new Aborted();
      const chunk = Math.min(left, ibs);
      let got = await readUpTo(chunk);
      if (!got.length) break;
      if (got.length === ibs) inFull++;
      else {
        inPart++;
        if (conv.has('sync')) got = Buffer.concat([got, Buffer.alloc(ibs - got.length)]);
      }
      left -= got.length;
      if (bs) {
        await writeRecord(got);
        continue;
      }
      buffered.push(got);
      bufferedLen += got.length;
      if (bufferedLen >= obs) {
        let all = Buffer.concat(buffered, bufferedLen);
        while (all.length >= obs) {
          await writeRecord(all.subarray(0, obs));
          all = all.subarray(obs);
        }
        buffered = all.length ? [Buffer.from(all)] : [];
        bufferedLen = all.length;
      }
    }
    if (bufferedLen) await writeRecord(Buffer.concat(buffered, bufferedLen));
    await flushOut();
    await t.flush();
    await status();
    return 0;
  } catch (e) {
    if (e instanceof Aborted) throw e;
    if (e instanceof ToyExit) {
      await t.errRaw(`dd: ${e.msg}\n`);
      await status();
      return e.code;
    }
    throw e;
  } finally {
    await input?.close();
    await output?.close().catch(() => undefined);
  }
});

/* ------------------------------------------------------------------ */
/* md5sum sha1sum sha224sum sha256sum sha384sum sha512sum (toys/lsb/md5sum.c) */

function hashCommand(name: string, algo: string) {
  return toy(name, { opts: 'bc(check)s(status)[!bc]', usage: `${name} [-bcs] [FILE]...` }, async (t) => {
    const o = t.o;
    const digest = async (input: Input): Promise<string> => {
      const h = createHash(algo);
      for (let c = await input.read(); c !== null; c = await input.read()) {
        if (t.aborted) throw new Aborted();
        h.update(c);
      }
      return h.digest('hex');
    };
    if (!o.has('c')) {
      if (o.has('s')) t.fail('-s only with -c');
      await loopFiles(t, t.args, async (input, fname) => {
        const hex = await digest(input);
        await t.out(o.has('b') ? `${hex}\n` : `${hex}  ${fname}\n`);
      }, { silentDirs: true });
      return;
    }
    for (const list of t.args.length ? t.args : ['-']) {
      let input: Input;
      try {
        input = await t.open(list);
      } catch (e) {
        await t.perr(list, e);
        continue;
      }
      let sawLine = false;
      let text = '';
      try {
        for (let c = await input.read(); c !== null; c = await input.read()) text += fromB(c);
      } finally {
        await input.close();
      }
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) {
        const m = /^(\S*)(\s+)(.*)$/.exec(line);
        if (!m || !m[1] || !m[3]) {
          await t.err(`bad line ${line}`);
          continue;
        }
        sawLine = true;
        const want = m[1];
        const file = Buffer.from(m[3], 'latin1').toString('utf8');
        let got = '';
        try {
          const f = await t.open(file);
          try {
            got = await digest(f);
          } finally {
            await f.close();
          }
        } catch (e) {
          await t.perr(file, e);
        }
        const fail = want.toLowerCase() !== got;
        if (fail) t.exitval = 1;
        if (!o.has('s')) await t.out(`${file}: ${fail ? 'FAILED' : 'OK'}\n`);
      }
      if (!sawLine) await t.err(`${list}: no lines`);
    }
  });
}

/* ------------------------------------------------------------------ */
/* tee (toys/posix/tee.c)                                              */

const tee = toy('tee', { opts: 'ia', usage: 'tee [-ai] [FILE...]' }, async (t) => {
  const outs: Array<{ name: string; out: Output }> = [];
  for (const f of t.args) {
    try {
      outs.push({ name: f, out: await t.create(f, { append: t.o.has('a') }) });
    } catch (e) {
      await t.perr(f, e);
    }
  }
  try {
    for (let c = await t.readStdin(); c !== null; c = await t.readStdin()) {
      for (const o of outs) {
        try {
          await o.out.write(c);
        } catch {
          t.exitval = 1;
        }
      }
      await t.out(c);
      await t.flush();
    }
  } finally {
    for (const o of outs) await o.out.close().catch(() => undefined);
  }
});

/* ------------------------------------------------------------------ */
/* cmp (toys/posix/cmp.c)                                              */

const cmp = toy('cmp', { opts: '<1>4ls(silent)(quiet)n#<1[!ls]', argfail: 2, usage: 'cmp [-ls] [-n LEN] FILE1 [FILE2 [SKIP1 [SKIP2]]]' }, async (t) => {
  const o = t.o;
  const [n1, n2 = '-'] = t.args;
  const open = async (name: string, skipArg?: string): Promise<Input | undefined> => {
    try {
      const i = await t.open(name);
      if (skipArg !== undefined) {
        let skip = atolx(skipArg);
        while (skip > 0) {
          const c = await i.read();
          if (!c) break;
          if (c.length > skip) {
            const rest = c.subarray(skip);
            const orig = i.read.bind(i);
            let pushed = false;
            i.read = async () => {
              if (!pushed) {
                pushed = true;
                return rest;
              }
              return orig();
            };
            skip = 0;
          } else skip -= c.length;
        }
      }
      return i;
    } catch (e) {
      if (!o.has('s')) await t.perr(name, e);
      return undefined;
    }
  };
  const a = await open(n1, t.args[2]);
  const b = a ? await open(n2, t.args[3]) : undefined;
  if (!a || !b) {
    await a?.close();
    return 2;
  }
  try {
    let limit = o.has('n') ? o.num('n') : Infinity;
    let byteNo = 1;
    let lineNo = 1;
    let ba: Buffer = Buffer.alloc(0);
    let bb: Buffer = Buffer.alloc(0);
    let eofA = false, eofB = false;
    let rc = 0;
    for (;;) {
      if (!ba.length && !eofA) { const c = await a.read(); if (c) ba = c; else eofA = true; }
      if (!bb.length && !eofB) { const c = await b.read(); if (c) bb = c; else eofB = true; }
      const n = Math.min(ba.length, bb.length, limit);
      for (let i = 0; i < n; i++) {
        if (ba[i] !== bb[i]) {
          rc = 1;
          if (o.has('l')) await t.out(`${byteNo} ${ba[i].toString(8)} ${bb[i].toString(8)}\n`);
          else {
            if (!o.has('s')) await t.out(`${n1} ${n2} differ: char ${byteNo}, line ${lineNo}\n`);
            return 1;
          }
        }
        byteNo++;
        if (ba[i] === 10) lineNo++;
      }
      ba = ba.subarray(n);
      bb = bb.subarray(n);
      limit -= n;
      if (!limit) break;
      if ((eofA && !ba.length) || (eofB && !bb.length)) {
        if ((eofA && !ba.length) && (eofB && !bb.length)) break;
        if (!o.has('s')) {
          const which = eofA && !ba.length ? n1 : n2;
          await t.err(o.has('l') ? `EOF on ${which} after byte ${byteNo - 1}` : `EOF on ${which} after byte ${byteNo - 1}, line ${lineNo - 1}`);
        }
        return 1;
      }
    }
    return rc;
  } finally {
    await a.close();
    await b.close();
  }
});

/* ------------------------------------------------------------------ */
/* xxd (toys/other/xxd.c)                                              */

const xxd = toy('xxd', { opts: '>1c#<0>256l#o#g#<0=2iprs#[!rs]', usage: 'xxd [-c n] [-g n] [-i] [-l n] [-o n] [-p] [-r] [-s n] [file]' }, async (t) => {
  const o = t.o;
  let c = o.has('c') ? o.num('c') : o.has('p') ? 30 : o.has('i') ? 12 : 16;
  const g = o.has('p') && !o.has('g') ? c : o.num('g', 2);
  await loopFiles(t, t.args, async (input, name) => {
    if (o.has('r')) {
      let text = '';
      for (let ch = await input.read(); ch !== null; ch = await input.read()) text += fromB(ch);
      const outBytes: number[] = [];
      if (o.has('i')) {
        for (const m of text.matchAll(/0x([0-9a-fA-F]{1,2})\s*,?/g)) outBytes.push(parseInt(m[1], 16));
      } else {
        for (const line of text.split('\n')) {
          let rest = line;
          if (!o.has('p')) {
            const m = /^\s*[0-9a-fA-F]+:\s?/.exec(rest);
            if (m) rest = rest.slice(m[0].length);
          }
          let col = 0;
          let i = 0;
          while (o.has('p') || !c || col < c) {
            const m = /^([0-9a-fA-F])([0-9a-fA-F])/.exec(rest.slice(i));
            if (!m) break;
            outBytes.push(parseInt(m[1] + m[2], 16));
            col++;
            i += 2;
            if (rest[i] === ' ') i++;
          }
        }
      }
      await t.out(Buffer.from(outBytes));
      return;
    }
    if (o.has('i')) {
      let n = 1;
      let s = '';
      for (let ch = await input.read(); ch !== null; ch = await input.read()) {
        for (const byte of ch) {
          s += `${n > 1 ? ', ' : '  '}0x${byte.toString(16).padStart(2, '0')}`;
          if (n++ === c) {
            s += ',\n';
            n = 1;
          }
        }
        await t.out(s);
        s = '';
      }
      if (n > 1) await t.out('\n');
      return;
    }
    let pos = 0;
    let limit = o.has('l') ? o.num('l') : 0;
    if (o.has('s')) {
      const skip = o.num('s');
      if (input.seek && input.size !== undefined) input.seek(skip);
      else t.fail(`${name === '-' ? 'stdin' : name}: seek failed`);
      pos = skip;
      if (limit) limit += skip;
    }
    if (!c) c = 4096;
    let buf: Buffer = Buffer.alloc(0);
    let eof = false;
    for (;;) {
      const want = limit && limit - pos < c ? limit - pos : c;
      if (want <= 0) break;
      while (buf.length < want && !eof) {
        const ch = await input.read();
        if (!ch) eof = true;
        else buf = buf.length ? Buffer.concat([buf, ch]) : ch;
      }
      const line = buf.subarray(0, want);
      buf = buf.subarray(line.length);
      if (!line.length) break;
      let s = o.has('p') ? '' : `${(o.num('o') + pos).toString(16).padStart(8, '0')}: `;
      pos += line.length;
      const cc = o.has('c') ? o.num('c') : c;
      let space = 2 * cc + (g ? Math.floor((cc + g - 1) / g) + 1 : 2);
      for (let i = 0; i < line.length; ) {
        s += line[i++].toString(16).padStart(2, '0');
        space -= 2;
        if (g && !(i % g)) {
          s += ' ';
          space--;
        }
      }
      if (!o.has('p')) {
        s += ' '.repeat(Math.max(0, space));
        for (const b of line) s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.';
      }
      if (cc || !o.has('p')) s += '\n';
      await t.outB(s);
      if (line.length < want && eof && !buf.length) break;
    }
    if (o.has('p') && o.has('c') && !o.num('c')) await t.out('\n');
  });
});

/* ------------------------------------------------------------------ */
/* od (toys/posix/od.c)                                                */

const ASCII_NAMES = 'nulsohstxetxeotenqackbel bs ht nl vt ff cr so sidledc1dc2dc3dc4naksynetbcan emsubesc fs gs rs us sp';

interface OdType {
  type: number; // index in "acduoxf"
  size: number;
}

const od = toy('od', { opts: 'j#vw#<1=16N#xsodcbA:t*', usage: 'od [-bcdosxv] [-j #] [-N #] [-w #] [-A doxn] [-t acdfoux[#]]' }, async (t) => {
  const o = t.o;
  const w = o.num('w', 16);
  const types: OdType[] = [];
  const appendBase = (base: string): void => {
    let s = 0;
    while (s < base.length) {
      const type = 'acduoxf'.indexOf(base[s++]);
      if (type < 0) t.fail(`bad -t ${base}`);
      let size = 1;
      const digits = /^\d+/.exec(base.slice(s));
      if (digits) {
        size = Number(digits[0]);
        s += digits[0].length;
        if (type < 2 && size !== 1) t.fail(`bad -t ${base}`);
        if (type === 6 ? size !== 4 && size !== 8 && size !== 16 : size < 1 || size > 8) t.fail(`bad -t ${base}`);
      } else if (type === 6) {
        const k = 'FDL'.indexOf(base[s] ?? '');
        if (k < 0) size = 8;
        else {
          s++;
          size = [4, 8, 16][k];
        }
      } else if (type > 1) {
        const k = 'CSIL'.indexOf(base[s] ?? '');
        if (k < 0) size = 4;
        else {
          s++;
          size = 1 << k;
        }
      }
      types.push({ type, size });
    }
  };
  let addrIdx = 2;
  if (o.str('A') !== undefined) {
    addrIdx = 'ndox'.indexOf((o.str('A') ?? '')[0] ?? '');
    if (addrIdx < 0) t.fail(`bad -A '${(o.str('A') ?? '')[0] ?? ''}'`);
  }
  for (const b of o.list('t')) appendBase(b);
  if (o.has('b')) appendBase('o1');
  if (o.has('c')) appendBase('c');
  if (o.has('d')) appendBase('u2');
  if (o.has('o')) appendBase('o2');
  if (o.has('s')) appendBase('d2');
  if (o.has('x')) appendBase('x2');
  if (!types.length) appendBase('o2');

  const j = o.num('j');
  let nLeft = o.has('N') ? o.num('N') : Infinity;
  let pos = 0;
  let star = false;
  let prev: Buffer | undefined;
  const addr = (n: number): string => ['', n.toString(10).padStart(7, '0'), n.toString(8).padStart(7, '0'), n.toString(16).padStart(6, '0')][addrIdx];

  const outT = (ty: OdType, buf: Buffer, off: number): { text: string; pad: number; used: number } => {
    if (ty.type < 2) {
      const c = buf[off];
      if (ty.type === 0) {
        const a = c & 127;
        const text = a <= 32 ? ASCII_NAMES.slice(3 * a, 3 * a + 3).trim() : a === 127 ? 'del' : String.fromCharCode(a);
        return { text, pad: 4, used: 1 };
      }
      const idx = '\b\f\n\r\t\x07\v'.indexOf(String.fromCharCode(c));
      let text: string;
      if (c !== 0 && idx >= 0) text = `\\${'bfnrtav'[idx]}`;
      else if (c < 32 || c >= 127) text = c.toString(8).padStart(3, '0');
      else text = String.fromCharCode(c);
      return { text, pad: 4, used: 1 };
    }
    if (ty.type === 6) {
      const v = ty.size === 4 ? buf.readFloatLE(off) : buf.readDoubleLE(off);
      const throwDigits = ty.size === 4 ? 8 : 17;
      let text = v.toExponential(throwDigits).replace(/e([+-])(\d)$/, 'e$10$2');
      if (!Number.isFinite(v)) text = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
      return { text, pad: throwDigits + (ty.size === 4 ? 7 : 8), used: ty.size };
    }
    let ll = 0n;
    for (let k = 0; k < ty.size; k++) ll |= BigInt(buf[off + k]) << BigInt(8 * k);
    const bits = BigInt(8 * ty.size);
    const max = (1n << bits) - 1n;
    const base = ty.type === 4 ? 8 : ty.type === 5 ? 16 : 10;
    let width: number;
    let text: string;
    if (ty.type === 2) {
      width = (max >> 1n).toString(10).length + 1;
      const signed = ll & (1n << (bits - 1n)) ? ll - (1n << bits) : ll;
      text = signed.toString(10).padStart(width, ' ');
    } else {
      width = max.toString(base).length;
      const pad = ty.type === 3 ? ' ' : '0';
      text = ll.toString(base).padStart(width, pad);
    }
    return { text, pad: width + 1, used: ty.size };
  };

  const outline = async (buf: Buffer, len: number): Promise<void> => {
    const line = Buffer.alloc(w);
    buf.copy(line, 0, 0, len);
    if (!o.has('v') && j !== pos && len && prev && prev.equals(line)) {
      if (!star) {
        await t.out('*\n');
        star = true;
      }
      pos += len;
      return;
    }
    star = false;
    await t.out(addr(pos));
    if (!len) {
      if (addrIdx) await t.out('\n');
      return;
    }
    pos += len;
    let pad = 0;
    for (const ty of types) {
      const r = outT(ty, line, 0);
      pad = Math.max(pad, Math.ceil(r.pad / r.used));
    }
    let s = '';
    types.forEach((ty, i) => {
      for (let k = 0; k < len; ) {
        const r = outT(ty, line, k);
        s += (i && !k ? ' '.repeat(7) : '') + r.text.padStart(pad * r.used, ' ');
        k += r.used;
      }
      s += '\n';
    });
    await t.outB(s);
    prev = line;
  };

  let skip = j;
  let leftover: Buffer = Buffer.alloc(0);
  await loopFiles(t, t.args, async (input) => {
    for (let c = await input.read(); c !== null; c = await input.read()) {
      if (skip) {
        if (c.length <= skip) {
          skip -= c.length;
          pos += c.length;
          continue;
        }
        pos += skip;
        c = c.subarray(skip);
        skip = 0;
      }
      if (nLeft !== Infinity) {
        if (nLeft <= 0) break;
        c = c.subarray(0, nLeft);
        nLeft -= c.length;
      }
      leftover = leftover.length ? Buffer.concat([leftover, c]) : c;
      while (leftover.length >= w) {
        await outline(leftover, w);
        leftover = leftover.subarray(w);
      }
    }
  });
  if (leftover.length) await outline(leftover, leftover.length);
  await outline(Buffer.alloc(0), 0);
});

/* ------------------------------------------------------------------ */
/* base64 (toys/other/base64.c)                                        */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const base64 = toy('base64', { opts: 'diw#<0=76[!dw]', usage: 'base64 [-di] [-w COLUMNS] [FILE...]' }, async (t) => {
  const o = t.o;
  const wrap = o.num('w', 76);
  await loopFiles(t, t.args, async (input) => {
    if (o.has('d')) {
      let acc = 0;
      let bits = 0;
      const out: number[] = [];
      for (let c = await input.read(); c !== null; c = await input.read()) {
        for (const b of c) {
          const ch = String.fromCharCode(b);
          if (ch === '=') {
            await t.out(Buffer.from(out));
            return;
          }
          const x = B64.indexOf(ch);
          if (x >= 0) {
            acc = (acc << 6) | x;
            bits += 6;
            if (bits >= 8) {
              bits -= 8;
              out.push((acc >> bits) & 0xff);
              acc &= (1 << bits) - 1;
            }
            continue;
          }
          if (ch === '\n' || o.has('i')) continue;
          await t.out(Buffer.from(out));
          return;
        }
        await t.out(Buffer.from(out));
        out.length = 0;
      }
      await t.out(Buffer.from(out));
      return;
    }
    let col = 0;
    let total = 0;
    let acc = 0;
    let bits = 0;
    let s = '';
    const put = (ch: string): void => {
      s += ch;
      total++;
      if (wrap && ++col === wrap) {
        col = 0;
        s += '\n';
      }
    };
    for (let c = await input.read(); c !== null; c = await input.read()) {
      for (const b of c) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
          bits -= 6;
          put(B64[(acc >> bits) & 63]);
        }
        acc &= (1 << bits) - 1;
      }
      await t.out(s);
      s = '';
    }
    if (bits) put(B64[(acc << (6 - bits)) & 63]);
    while (total & 3) put('=');
    if (col) s += '\n';
    await t.out(s);
  });
});

export const STREAM_COMMANDS: CommandTable = {
  cat, dd, tee, cmp, xxd, od, base64,
  md5sum: hashCommand('md5sum', 'md5'),
  sha1sum: hashCommand('sha1sum', 'sha1'),
  sha224sum: hashCommand('sha224sum', 'sha224'),
  sha256sum: hashCommand('sha256sum', 'sha256'),
  sha384sum: hashCommand('sha384sum', 'sha384'),
  sha512sum: hashCommand('sha512sum', 'sha512'),
};

