/**
 * Text filters: head, tail, wc, cut, tr, sort, uniq — byte for byte as toybox (toys/posix/*.c,
 * toys/pending/tr.c) prints them. Data is handled as byte strings (one char per byte), so binary input
 * passes through unchanged.
 */
import { errnoText, type CommandTable } from '../types';
import { Aborted, ToyExit, atolx, bstr, lines, loopFiles, toB, toy, type Input, type Output, type Toy } from './common';
import { compile, execAt } from './regex';

const isSpace = (c: string | undefined): boolean => c !== undefined && (c === ' ' || (c >= '\t' && c <= '\r'));

/* ------------------------------------------------------------------ */
/* head (toys/posix/head.c)                                            */

const head = toy('head', { opts: '?n(lines)#<0=10c(bytes)#<0qv[-nc]', usage: 'head [-cn NUM] [-qv] [FILE...]' }, async (t) => {
  const o = t.o;
  let files = t.args;
  let n = o.num('n', 10);
  if (files[0] && files[0][0] === '-' && files[0].length > 1) {
    n = atolx(files[0].slice(1));
    files = files.slice(1);
  }
  let fileNo = 0;
  const list = files.length ? files : ['-'];
  await loopFiles(t, files, async (input, name) => {
    if ((list.length > 1 && !o.has('q')) || o.has('v')) {
      if (fileNo) await t.out('\n');
      await t.out(`==> ${name} <==\n`);
    }
    fileNo++;
    let bytes = o.has('c') ? o.num('c') : 0;
    let left = n;
    while (o.has('c') ? bytes : left) {
      const c = await input.read();
      if (!c) break;
      if (o.has('c')) {
        const take = Math.min(bytes, c.length);
        bytes -= take;
        await t.out(c.subarray(0, take));
        continue;
      }
      let i = 0;
      for (; i < c.length; ) if (c[i++] === 10 && !--left) break;
      await t.out(c.subarray(0, i));
    }
  });
});

/* ------------------------------------------------------------------ */
/* tail (toys/posix/tail.c)                                            */

const tail = toy('tail', { opts: '?fFs:c(bytes)-n(lines)-[-cn][-fF]', usage: 'tail [-n|c NUMBER] [-f|F] [-s SECONDS] [FILE...]' }, async (t) => {
  const o = t.o;
  let files = t.args;
  let lines = o.has('n') ? o.num('n') : 0;
  const bytesOpt = o.has('c') ? o.num('c') : 0;
  if (!o.has('n') && !o.has('c')) {
    const a = files[0];
    if (a && (a[0] === '-' || a[0] === '+') && a.length > 1) {
      lines = atolx(a);
      files = files.slice(1);
    } else lines = -10;
  }
  const multiple = files.length > 1;
  let fileNo = 0;
  const follow: Array<{ name: string; input: Input; pos: number }> = [];
  await loopFiles(t, files, async (input, name) => {
    if (fileNo++) await t.out('\n');
    if (multiple) await t.out(`==> ${name} <==\n`);
    let bytes = bytesOpt;
    let ln = lines;
    if (bytes < 0 || ln < 0) {
      if (input.pread && input.size !== undefined) {
        const size = input.size;
        if (bytes) {
          const from = Math.max(0, size + bytes);
          for (let at = from; at < size; ) {
            const c = await input.pread(Math.min(1 << 20, size - at), at);
            if (!c.length) break;
            await t.out(c);
            at += c.length;
          }
        } else {
          // Read backwards until enough newlines (a last newline does not count).
          let pos = size;
          const chunks: Buffer[] = [];
          let need = -ln;
          let first = true;
          let startAt = 0;
          outer: while (pos > 0) {
            const len = Math.min(65536, pos);
            pos -= len;
            const c = await input.pread(len, pos);
            chunks.unshift(c);
            for (let k = c.length - 1; k >= 0; k--) {
              if (first) {
                first = false;
                if (c[k] === 10) continue;
              }
              if (c[k] === 10 && !--need) {
                startAt = pos + k + 1;
                break outer;
              }
            }
          }
          const all = Buffer.concat(chunks);
          const base = size - all.length;
          await t.out(all.subarray(Math.max(0, startAt - base)));
        }
        if (o.has('f') || o.has('F')) follow.push({ name, input, pos: size });
        return;
      }
      // A pipe: keep the last N lines or bytes.
      if (bytes) {
        let keep: Buffer[] = [];
        let kept = 0;
        for (let c = await input.read(); c !== null; c = await input.read()) {
          keep.push(c);
          kept += c.length;
          while (keep.length > 1 && kept - keep[0].length >= -bytes) kept -= (keep.shift() as Buffer).length;
        }
        const all = Buffer.concat(keep);
        keep = [];
        await t.out(all.subarray(Math.max(0, all.length + bytes)));
        return;
      }
      const ring: Buffer[] = [];
      let partial: Buffer[] = [];
      for (let c = await input.read(); c !== null; c = await input.read()) {
        let start = 0;
        for (let k = 0; k < c.length; k++) {
          if (c[k] !== 10) continue;
          partial.push(c.subarray(start, k + 1));
          ring.push(partial.length === 1 ? partial[0] : Buffer.concat(partial));
          partial = [];
          if (ring.length > -ln) ring.shift();
          start = k + 1;
        }
        if (start < c.length) partial.push(c.subarray(start));
      }
      if (partial.length) {
        ring.push(Buffer.concat(partial));
        if (ring.length > -ln) ring.shift();
      }
      await t.out(Buffer.concat(ring));
      return;
    }
    // From the start: skip to line/byte N.
    for (let c = await input.read(); c !== null; c = await input.read()) {
      let offset = 0;
      while (bytes > 1 || ln > 1) {
        bytes--;
        if (c[offset++] === 10) ln--;
        if (offset >= c.length) break;
      }
      if (offset < c.length) await t.out(c.subarray(offset));
    }
  }, { keepOpen: o.has('f') || o.has('F') });
  if (!follow.length) return;
  // -f: wait for more data to be appended, until killed or nobody reads.
  await t.flush();
  let last = follow[follow.length - 1];
  while (!t.aborted) {
    await new Promise((r) => setTimeout(r, 500));
    for (const f of follow) {
      if (!f.input.pread) continue;
      for (;;) {
        const c = await f.input.pread(65536, f.pos);
        if (!c.length) break;
        if (follow.length > 1 && last !== f) {
          last = f;
          await t.out(`\n==> ${f.name} <==\n`);
        }
        f.pos += c.length;
        await t.out(c);
      }
    }
    await t.flush();
  }
  for (const f of follow) await f.input.close();
  throw new Aborted();
});

/* ------------------------------------------------------------------ */
/* wc (toys/posix/wc.c)                                                */

const wc = toy('wc', { opts: 'mcwl', usage: 'wc -lwcm [FILE...]' }, async (t) => {
  const o = t.o;
  let flags = ['l', 'w', 'c', 'm'].filter((f) => o.has(f));
  if (!flags.length) flags = ['l', 'w', 'c'];
  const optc = t.args.length;
  const space = !(!optc && flags.length === 1) && optc !== 1 ? 7 : 0;
  const totals = [0, 0, 0, 0];
  const show = async (len: number[], name: string): Promise<void> => {
    let s = '';
    let first = true;
    ['l', 'w', 'c', 'm'].forEach((f, i) => {
      if (flags.includes(f)) {
        s += (first ? '' : ' ') + String(len[i]).padStart(space);
        first = false;
      }
      totals[i] += len[i];
    });
    if (optc) s += ` ${name}`;
    await t.out(`${s}\n`);
  };
  await loopFiles(t, t.args, async (input, name) => {
    const len = [0, 0, 0, 0];
    if (flags.length === 1 && flags[0] === 'c' && input.size) {
      len[2] = input.size;
      await show(len, name);
      return;
    }
    let word = false;
    let pend = 0; // bytes still expected of a UTF-8 sequence
    for (let c = await input.read(); c !== null; c = await input.read()) {
      for (const b of c) {
        if (b === 10) len[0]++;
        len[2]++;
        let space: boolean;
        if (o.has('m')) {
          if (pend) {
            if ((b & 0xc0) === 0x80) {
              pend--;
              continue;
            }
            pend = 0;
          }
          if (b < 0x80) {
            len[3]++;
            space = b === 32 || (b >= 9 && b <= 13);
          } else if ((b & 0xe0) === 0xc0) { pend = 1; len[3]++; space = false; } else if ((b & 0xf0) === 0xe0) { pend = 2; len[3]++; space = false; } else if ((b & 0xf8) === 0xf0) { pend = 3; len[3]++; space = false; } else continue;
        } else space = b === 32 || (b >= 9 && b <= 13);
        if (space) word = false;
        else {
          if (!word) len[1]++;
          word = true;
        }
      }
    }
    await show(len, name);
  });
  if (optc > 1) await show(totals, 'total');
});

/* ------------------------------------------------------------------ */
/* cut (toys/posix/cut.c)                                              */

const cut = toy('cut', { opts: 'b*c*f*F*C*O(output-delimiter):d:sDn[!cbfF]', usage: 'cut [-Ds] [-bcCfF LIST] [-dO DELIM] [FILE...]' }, async (t) => {
  const o = t.o;
  const kinds = ['C', 'F', 'f', 'c', 'b'].filter((k) => o.has(k));
  if (!kinds.length) throw new ToyExit('Needs one of -CFfcb', 1, true);
  if (o.has('s') && !o.has('f') && !o.has('F')) t.fail('-s needs -Ff');
  if (o.has('d') && !o.has('f') && !o.has('F')) t.fail('-d needs -Ff');
  const d = o.str('d') !== undefined ? bstr(o.str('d') as string) : o.has('F') ? '[[:space:]][[:space:]]*' : '\t';
  let outDelim = o.str('O') !== undefined ? bstr(o.str('O') as string) : undefined;
  if (outDelim === undefined) outDelim = o.has('F') ? ' ' : o.has('f') ? d : undefined;
  let freg: RegExp | undefined;
  if (o.has('F')) {
    try {
      freg = compile(d, true).re;
    } catch (e) {
      t.fail(`bad regex '${d}': ${(e as Error).message}`);
    }
  }
  let pairs: Array<[number, number]> = [];
  for (const k of ['C', 'F', 'f', 'c', 'b']) {
    for (const list of o.list(k)) {
      for (const part of list.split(',')) {
        const m = /^(\d*)(-?)(\d*)$/.exec(part);
        const bad = (): never => t.fail(`bad -${k} '${part}'`);
        if (!m || (!m[1] && !m[3]) || (!m[2] && m[3])) bad();
        const a = m ? (m[1] ? Number(m[1]) : 1) : 1;
        const b = m ? (m[2] ? (m[3] ? Number(m[3]) : Infinity) : a) : a;
        if (a < 1 || b < 1 || a > b) bad();
        pairs.push([a, b]);
      }
    }
  }
  if (!pairs.length) t.fail('no selections');
  if (!o.has('D')) {
    pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const merged: Array<[number, number]> = [];
    for (const p of pairs) {
      const last = merged[merged.length - 1];
      if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
      else merged.push([p[0], p[1]]);
    }
    pairs = merged;
  }
  let lineNo = 0;
  const cutLine = (raw: string): string | undefined => {
    const line = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
    const len = line.length;
    lineNo++;
    let out = '';
    for (let i = 0; i < pairs.length; i++) {
      let [start, end] = pairs[i];
      if (d === '\n' && (o.has('f') || o.has('F'))) {
        if (lineNo < start || lineNo > end) {
          if (i + 1 === pairs.length) return undefined;
          continue;
        }
        return `${line}\n`;
      }
      start--;
      if (start >= len) continue;
      if (end > len) end = len;
      let count = end - start;
      let s = 0;
      if (o.has('b')) {
        s = start;
        if (o.has('n')) {
          const b = Buffer.from(line, 'latin1');
          while (s > 0 && (b[s] & 0xc0) === 0x80) s++;
          let e = end;
          while (e > s && e < b.length && (b[e] & 0xc0) === 0x80) e--;
          count = e - s;
          if (!count) continue;
        }
      } else if (o.has('c') || o.has('C')) {
        const chars = [...Buffer.from(line, 'latin1').toString('utf8')];
        if (start >= chars.length) continue;
        const piece = chars.slice(start, start + (pairs[i][1] === Infinity ? chars.length : pairs[i][1] - start)).join('');
        if (i && outDelim !== undefined) out += outDelim;
        out += bstr(piece);
        continue;
      } else {
        let ss = 0;
        let st = start;
        let ended = false;
        for (let j = 0; j < 2; j++) {
          ss = s;
          let left = j ? count : st;
          if (!j) end = st;
          while (ss < len && left) {
            if (o.has('f')) {
              if (!d.includes(line[ss++])) continue;
              if (!--left && j) ss--;
            } else {
              const re = freg as RegExp;
              const m = execAt(re, line, ss);
              if (!m) {
                ss = len;
                continue;
              }
              if (m[0].length === 0) break;
              ss = !--left && j ? m.index : m.index + m[0].length;
            }
          }
          if (!j) {
            st = left;
            s = ss;
            if (s >= len) {
              ended = true;
              break;
            }
          }
        }
        if (ended && end === st) {
          if (o.has('D')) break;
          if (o.has('s')) return undefined;
          return `${line}\n`;
        } else if (ended || s >= len) continue;
        count = ss - s;
      }
      if (i && outDelim !== undefined) out += outDelim;
      out += line.slice(s, s + count);
    }
    return `${out}\n`;
  };
  await loopFiles(t, t.args, async (input) => {
    for await (const l of lines(input)) {
      const r = cutLine(l);
      if (r !== undefined) await t.outB(r);
    }
  });
});

/* ------------------------------------------------------------------ */
/* tr (toys/pending/tr.c)                                              */

function trEscape(s: string, i: number): [number, number] {
  // s[i] is the char after the backslash
  let p = i;
  let base = 0;
  let len = 0;
  if (s[p] === 'x') {
    p++;
    len++;
    base = 16;
  } else if (/[0-9]/.test(s[p] ?? '')) base = 8;
  let result = 0;
  if (base) {
    while (len < 3) {
      const ch = (s[p] ?? '').toLowerCase();
      const v = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'f' ? ch.charCodeAt(0) - 87 : 99;
      if (v >= base) {
        if (base === 16) {
          len--;
          if (!len) return [92, p - 1];
        }
        break;
      }
      len++;
      result = result * base + v;
      p++;
    }
    return [result & 255, p];
  }
  const k = 'ntebafvr\\'.indexOf(s[p] ?? '');
  if (k < 0) return [92, p];
  return [[10, 9, 27, 8, 7, 12, 11, 13, 92][k], p + 1];
}

function trExpand(arg: string, t: Toy): number[] {
  const set: number[] = [];
  let i = 0;
  const classes = ['alpha', 'alnum', 'digit', 'lower', 'upper', 'space', 'blank', 'punct', 'cntrl', 'xdigit'];
  while (i < arg.length) {
    if (arg[i] === '\\') {
      const [c, next] = trEscape(arg, i + 1);
      set.push(c);
      i = next;
      continue;
    }
    if (arg[i + 1] === '-' && i + 2 < arg.length) {
      const j = arg.charCodeAt(i), k = arg.charCodeAt(i + 2);
      if (j > k) t.fail('reverse colating order');
      for (let c = j; c <= k; c++) set.push(c);
      i += 3;
      continue;
    }
    if (arg[i] === '[' && arg[i + 1] === ':') {
      const m = /^\[:([a-z]+):\]/.exec(arg.slice(i));
      if (m && classes.includes(m[1])) {
        const name = m[1];
        const range = (a: number, b: number): void => {
          for (let c = a; c <= b; c++) set.push(c);
        };
        if (name === 'alpha' || name === 'upper' || name === 'alnum') range(65, 90);
        if (name === 'alpha' || name === 'lower' || name === 'alnum') range(97, 122);
        if (name === 'alnum' || name === 'digit' || name === 'xdigit') range(48, 57);
        if (name === 'space' || name === 'blank') {
          set.push(9);
          if (name === 'space') set.push(10, 12, 13, 11);
          set.push(32);
        }
        if (name === 'punct') for (let c = 33; c < 127; c++) if (!/[A-Za-z0-9]/.test(String.fromCharCode(c))) set.push(c);
        if (name === 'cntrl') for (let c = 0; c < 256; c++) if (c < 32 || c === 127) set.push(c);
        if (name === 'xdigit') for (let c = 65; c <= 70; c++) set.push(c, c + 32);
        i += m[0].length;
        continue;
      }
    }
    if (arg[i] === '[' && arg[i + 1] === '=') {
      if (i + 2 < arg.length) set.push(arg.charCodeAt(i + 2));
      if (arg[i + 3] !== '=' || arg[i + 4] !== ']') t.fail('bad equiv class');
      i += 5;
      continue;
    }
    set.push(arg.charCodeAt(i++));
  }
  return set;
}

const tr = toy('tr', { opts: '^>2<1Ccsd[+cC]', usage: 'tr [-cds] SET1 [SET2]' }, async (t) => {
  const o = t.o;
  const map: number[] = [];
  for (let i = 0; i < 256; i++) map[i] = i;
  let set1 = trExpand(bstr(t.args[0]), t);
  if (o.has('c')) {
    const has = new Set(set1);
    set1 = [];
    for (let i = 0; i < 256; i++) if (!has.has(i)) set1.push(i);
  }
  let set2: number[] | undefined;
  if (t.args[1] !== undefined) {
    if (t.args[1] === '') t.fail("set2 can't be empty string");
    set2 = trExpand(bstr(t.args[1]), t);
  }
  if (o.has('d')) for (const c of set1) map[c] = c | 0x100;
  if (o.has('s')) {
    for (const c of set1) map[c] |= 0x200;
    for (const c of set2 ?? []) map[c] |= 0x200;
  }
  if (!o.has('d') && set2) {
    let k = 0;
    for (let i = 0; i < set1.length; i++) {
      map[set1[i]] = (map[set1[i]] & 0xff00) | set2[k];
      if (k + 1 < set2.length) k++;
    }
  }
  let prev = -1;
  for (let c = await t.readStdin(); c !== null; c = await t.readStdin()) {
    const out = Buffer.allocUnsafe(c.length);
    let n = 0;
    for (const b of c) {
      const ch = map[b];
      if (o.has('d') && ch & 0x100) continue;
      if (o.has('s') && ch & 0x200 && prev === ch) continue;
      out[n++] = ch & 0xff;
      prev = ch;
    }
    await t.out(out.subarray(0, n));
  }
});

/* ------------------------------------------------------------------ */
/* sort (toys/posix/sort.c)                                            */

interface SortKey {
  range: [number, number, number, number];
  flags: Set<string>;
}

const sort = toy('sort', { opts: 'gS:T:mo:k*t:xVbMCcszdfirun', argfail: 2, usage: 'sort [-runbcdfiMsz] [FILE...] [-k#[,#[x]] [-t X]] [-o FILE]' }, async (t) => {
  const o = t.o;
  if (o.has('u')) o.set('s');
  const sep = o.str('t') !== undefined ? bstr(o.str('t') as string)[0] : undefined;
  const keys: SortKey[] = [];
  const keyFlags = 'gxVbMdfirn';
  for (const k of o.list('k')) {
    const key: SortKey = { range: [0, 0, 0, 0], flags: new Set() };
    let idx = 0;
    let s = k;
    while (s.length) {
      const m = /^(\d*)(?:\.(\d*))?/.exec(s) as RegExpExecArray;
      key.range[2 * idx] = Number(m[1] || 0);
      if (m[2] !== undefined) key.range[2 * idx + 1] = Number(m[2] || 0);
      s = s.slice(m[0].length);
      while (s.length) {
        const c = s[0];
        s = s.slice(1);
        if (c === ',' && !idx++) break;
        if (!keyFlags.includes(c)) t.fail('Unknown key option.');
        key.flags.add(idx && c === 'b' ? 'bb' : c);
      }
    }
    keys.push(key);
  }
  if (o.has('b')) o.set('bb');
  if (!keys.length) keys.push({ range: [1, 0, 0, 0], flags: new Set() });

  const getKey = (str: string, key: SortKey, flags: (f: string) => boolean): string => {
    if (key.range[0] === 1 && !key.range[1] && !key.range[2] && !key.range[3] && !(flags('b') || flags('d') || flags('i') || flags('bb'))) return str;
    const len = str.length;
    let start = 0;
    let end = 0;
    for (let j = 0; j < 2; j++) {
      if (!key.range[2 * j]) end = len;
      else {
        end = 0;
        for (let i = 1; i < key.range[2 * j] + j; i++) {
          if (end < len && sep === undefined) while (isSpace(str[end])) end++;
          for (; end < len; end++) {
            if (sep !== undefined) {
              if (str[end] === sep) {
                end++;
                break;
              }
            } else if (isSpace(str[end])) break;
          }
        }
      }
      if (!j) start = end;
    }
    if (sep !== undefined && str[start] === sep) start++;
    if (flags('b') || (sep === undefined && !key.range[3])) while (isSpace(str[start])) start++;
    if (flags('bb')) while (end > start && isSpace(str[end - 1])) end--;
    if (key.range[3]) end = Math.min(len, end + key.range[3] - 1);
    if (key.range[1]) start = Math.min(len, start + key.range[1] - 1);
    if (end < start) end = start;
    let r = str.slice(start, end);
    if (flags('d')) r = [...r].filter((c) => isSpace(c) || /[A-Za-z0-9]/.test(c)).join('');
    if (flags('i')) r = [...r].filter((c) => c >= ' ' && c <= '~').join('');
    return r;
  };
  const atoll = (s: string): number => {
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
    return m ? Number(m[1]) : 0;
  };
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const strcmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const compareValues = (flags: (f: string) => boolean, x: string, y: string): number => {
    if (flags('g')) {
      const num = (s: string): number | undefined => {
        const m = /^\s*([+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+))/i.exec(s);
        if (!m) return undefined;
        const v = m[1].toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
        return v.includes('nan') ? NaN : Number(v);
      };
      const dx = num(x), dy = num(y);
      if (dx === undefined) return dy === undefined ? 0 : -1;
      if (dy === undefined) return 1;
      if (Number.isNaN(dx)) return Number.isNaN(dy) ? 0 : -1;
      if (Number.isNaN(dy)) return 1;
      return dx < dy ? -1 : dx > dy ? 1 : 0;
    }
    if (flags('M')) {
      const mx = months.indexOf(x.trimStart().slice(0, 3).toLowerCase()), my = months.indexOf(y.trimStart().slice(0, 3).toLowerCase());
      if (mx < 0) return my < 0 ? 0 : -1;
      if (my < 0) return 1;
      return mx - my;
    }
    if (flags('x')) {
      const h = (s: string): number => parseInt(/^\s*[+-]?(0[xX])?[0-9a-fA-F]*/.exec(s)?.[0].replace(/0[xX]/, '') || '0', 16) || 0;
      return Math.sign(h(x) - h(y));
    }
    if (flags('V')) {
      let i = 0, j = 0;
      while (i < x.length && j < y.length) {
        while (i < x.length && j < y.length && x[i] === y[j]) { i++; j++; }
        if (/\d/.test(x[i] ?? '') && /\d/.test(y[j] ?? '')) {
          const a = /^\d+/.exec(x.slice(i)) as RegExpExecArray, b = /^\d+/.exec(y.slice(j)) as RegExpExecArray;
          const xx = Number(a[0]), yy = Number(b[0]);
          i += a[0].length;
          j += b[0].length;
          if (xx < yy) return -1;
          if (xx > yy) return 1;
        } else {
          const xx = i < x.length ? x[i] : x[i - 1], yy = j < y.length ? y[j] : y[j - 1];
          if (xx !== yy) {
            const rest = y.slice(j);
            if (xx < yy && !rest.startsWith('-rc') && !rest.startsWith('-pre')) return -1;
            return 1;
          }
        }
      }
      return i < x.length ? (j < y.length ? 1 : 1) : -1;
    }
    if (flags('n')) {
      const dx = atoll(x), dy = atoll(y);
      return dx < dy ? -1 : dx > dy ? 1 : 0;
    }
    if (flags('f')) return strcmp(x.replace(/[a-z]/g, (c) => c.toUpperCase()), y.replace(/[a-z]/g, (c) => c.toUpperCase()));
    return strcmp(x, y);
  };
  const compareKeys = (xx: string, yy: string): number => {
    let retval = 0;
    let flags: (f: string) => boolean = (f) => o.has(f);
    for (const key of keys) {
      flags = key.flags.size ? (f) => key.flags.has(f) : (f) => o.has(f);
      retval = compareValues(flags, getKey(xx, key, flags), getKey(yy, key, flags));
      if (retval) break;
    }
    if (!retval && !o.has('s')) {
      flags = (f) => o.has(f);
      retval = strcmp(xx, yy);
    }
    return flags('r') ? -retval : retval;
  };

  const delim = o.has('z') ? '\0' : '\n';
  const all: string[] = [];
  let prevLine: string | undefined;
  let count = 0;
  const checking = o.has('c') || o.has('C');
  let failed = false;
  await loopFiles(t, t.args, async (input, name) => {
    for await (const raw of lines(input, delim)) {
      const line = !o.has('z') && raw.endsWith('\n') ? raw.slice(0, -1) : raw.endsWith('\0') ? raw.slice(0, -1) : raw;
      if (checking) {
        if (!failed && prevLine !== undefined && compareKeys(prevLine, line) > -(o.has('u') ? 1 : 0)) {
          failed = true;
          if (o.has('C')) throw new ToyExit(undefined, 1);
          throw new ToyExit(`${name}: Check line ${count + 1}`, 1);
        }
        prevLine = line;
      } else all.push(line);
      count++;
    }
  });
  if (checking) return;
  all.sort(compareKeys);
  let result = all;
  if (o.has('u')) {
    result = [];
    for (const l of all) if (!result.length || compareKeys(result[result.length - 1], l)) result.push(l);
  }
  let sink: Output | undefined;
  if (o.str('o') !== undefined) {
    try {
      sink = await t.create(o.str('o') as string);
    } catch (e) {
      await t.perr(o.str('o') as string, e);
      return 2;
    }
  }
  const end = o.has('z') ? '\0' : '\n';
  let buf = '';
  for (const l of result) {
    buf += l + end;
    if (buf.length > 65536) {
      if (sink) await sink.write(toB(buf));
      else await t.outB(buf);
      buf = '';
    }
  }
  if (sink) {
    await sink.write(toB(buf));
    await sink.close();
  } else await t.outB(buf);
});

/* ------------------------------------------------------------------ */
/* uniq (toys/posix/uniq.c)                                            */

const uniq = toy('uniq', { opts: 'f#s#w#zicdu', usage: 'uniq [-cduiz] [-w MAXCHARS] [-f FIELDS] [-s CHAR] [INFILE [OUTFILE]]' }, async (t) => {
  const o = t.o;
  const eol = o.has('z') ? '\0' : '\n';
  const input: Input = await t.open(t.args[0] ?? '-').catch((e) => t.fail(`${t.args[0]}: ${errnoText(e)}`));
  let sink: Output | undefined;
  if (t.args[1] !== undefined) {
    try {
      sink = await t.create(t.args[1]);
    } catch (e) {
      await input.close();
      t.fail(`${t.args[1]}: ${errnoText(e)}`);
    }
  }
  const skip = (s: string): string => {
    let i = 0;
    for (let f = o.num('f'); f > 0; f--) {
      while (i < s.length && isSpace(s[i])) i++;
      while (i < s.length && !isSpace(s[i])) i++;
    }
    return s.slice(Math.min(s.length, i + o.num('s')));
  };
  const fold = (s: string): string => (o.has('i') ? s.replace(/[a-z]/g, (c) => c.toUpperCase()) : s);
  const cmp = (a: string, b: string): boolean => {
    let x = o.has('f') || o.has('s') ? skip(a) : a;
    let y = o.has('f') || o.has('s') ? skip(b) : b;
    if (o.has('w')) {
      x = x.slice(0, o.num('w'));
      y = y.slice(0, o.num('w'));
    }
    return fold(x) === fold(y);
  };
  let out = '';
  const flush = async (): Promise<void> => {
    if (sink) await sink.write(toB(out));
    else await t.outB(out);
    out = '';
  };
  let prev: string | undefined;
  let repeats = 0;
  const print = (line: string): void => {
    if (repeats ? o.has('u') : o.has('d')) return;
    if (o.has('c')) out += `${String(repeats + 1).padStart(7)} `;
    out += line;
    if (o.has('z')) out += '\0';
  };
  try {
    for await (const line of lines(input, eol)) {
      const body = o.has('z') && line.endsWith('\0') ? line.slice(0, -1) : line;
      if (prev === undefined) {
        prev = body;
        continue;
      }
      if (cmp(body, prev)) repeats++;
      else {
        print(prev);
        repeats = 0;
        prev = body;
        if (out.length > 65536) await flush();
      }
    }
    if (prev !== undefined) print(prev);
    await flush();
  } finally {
    await input.close();
    await sink?.close();
  }
});

export const TEXT_COMMANDS: CommandTable = {
  head, tail, wc, cut, tr, sort, uniq,
};

