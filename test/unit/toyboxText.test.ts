/**
 * toybox's text filters and system commands on the virtual phone, run through the phone's shell (pipes
 * included): output byte for byte as toybox 0.8.9 (Android 14) prints it. Each assertion names its source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPhone } from '../helpers/phoneShell';

const T = '/data/local/tmp';

test('pipelines of toybox commands run with the phone shell', async () => {
  await withPhone(async (_d, sh) => {
    assert.equal((await sh('seq 1 100 | sort -rn | head -3')).stdout, '100\n99\n98\n');
    assert.equal((await sh('seq 1 10 | grep -v 5 | tail -n 2 | tr "\\n" ,')).stdout, '9,10,');
    assert.equal((await sh('printf "b\\na\\nb\\n" | sort | uniq -c | sort -rn | head -1')).stdout, '      2 b\n');
  });
});

test('head and tail: -n, -c, -N and +N, several files with headers', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && seq 1 20 > n && printf 'abcdef' > s && printf 'a\\nb\\nc' > nonl`);
    assert.equal((await sh(`head -n 3 ${T}/n`)).stdout, '1\n2\n3\n');
    // head.c: the old "-N" form
    assert.equal((await sh(`head -2 ${T}/n`)).stdout, '1\n2\n');
    assert.equal((await sh(`head -c 4 ${T}/s`)).stdout, 'abcd');
    // "==> %s <==" headers with a blank line between files (head.c do_head)
    assert.equal((await sh(`cd ${T} && head -n 1 n s`)).stdout, '==> n <==\n1\n\n==> s <==\nabcdef');
    assert.equal((await sh(`cd ${T} && head -v -n 1 n`)).stdout, '==> n <==\n1\n');
    assert.equal((await sh(`tail -n 2 ${T}/n`)).stdout, '19\n20\n');
    assert.equal((await sh(`tail -3 ${T}/n`)).stdout, '18\n19\n20\n');
    // tail.c: +N counts from the start
    assert.equal((await sh(`tail -n +19 ${T}/n`)).stdout, '19\n20\n');
    assert.equal((await sh(`tail -c 3 ${T}/s`)).stdout, 'def');
    assert.equal((await sh(`tail -c +3 ${T}/s`)).stdout, 'cdef');
    assert.equal((await sh(`tail -n 2 ${T}/nonl`)).stdout, 'b\nc');
    // from a pipe, not seekable
    assert.equal((await sh(`cat ${T}/n | tail -n 2`)).stdout, '19\n20\n');
    assert.equal((await sh(`cat ${T}/nonl | tail -n 1`)).stdout, 'c');
    assert.equal((await sh(`cd ${T} && tail -n 1 n nonl`)).stdout, '==> n <==\n20\n\n==> nonl <==\nc');
    const miss = await sh(`head ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `head: ${T}/nope: No such file or directory\n`]);
  });
});

test('wc: toybox\'s column widths, -l -w -c -m, totals', async () => {
  await withPhone(async (_d, sh) => {
    // wc.c show_lengths(): 7-wide columns unless one file or (stdin and one count)
    assert.equal((await sh("printf 'a b\\nc' | wc")).stdout, '      1       3       5\n');
    assert.equal((await sh("printf 'a b\\nc' | wc -c")).stdout, '5\n');
    assert.equal((await sh("printf 'a b\\nc' | wc -cl")).stdout, '      1       5\n');
    await sh(`cd ${T} && printf 'one two\\nthree\\n' > f && printf 'x\\n' > g`);
    assert.equal((await sh(`cd ${T} && wc f`)).stdout, '2 3 14 f\n');
    assert.equal((await sh(`cd ${T} && wc -l f`)).stdout, '2 f\n');
    assert.equal((await sh(`cd ${T} && wc f g`)).stdout, '      2       3      14 f\n      1       1       2 g\n      3       4      16 total\n');
    // -m counts UTF-8 characters, -c bytes
    assert.equal((await sh("printf 'h\\303\\251llo\\n' | wc -m")).stdout, '6\n');
    assert.equal((await sh("printf 'h\\303\\251llo\\n' | wc -c")).stdout, '7\n');
  });
});

test('cut: fields, characters, bytes, -s, -d, --output-delimiter, errors', async () => {
  await withPhone(async (_d, sh) => {
    const cut = async (args: string, input: string): Promise<string> => (await sh(`cut ${args}`, input)).stdout;
    assert.equal(await cut('-d: -f2', 'a:b:c\n'), 'b\n');
    assert.equal(await cut('-d: -f1,3', 'a:b:c\n'), 'a:c\n');
    assert.equal(await cut('-d: -f2-', 'a:b:c\n'), 'b:c\n');
    assert.equal(await cut('-d: -f-2', 'a:b:c\n'), 'a:b\n');
    // cut.c: a line without the delimiter is printed whole, unless -s
    assert.equal(await cut('-d: -f2', 'abc\nx:y\n'), 'abc\ny\n');
    assert.equal(await cut('-d: -s -f2', 'abc\nx:y\n'), 'y\n');
    assert.equal(await cut('-f2', 'a\tb\tc\n'), 'b\n');
    assert.equal(await cut('-c2-3', 'hello\n'), 'el\n');
    assert.equal(await cut('-b1,3', 'hello\n'), 'hl\n');
    assert.equal(await cut('-c2', 'h\u00e9llo\n'), '\u00e9\n');
    assert.equal(await cut('-d: -f1,3 -O +', 'a:b:c\n'), 'a+c\n');
    const none = await sh('cut -d: x', '');
    assert.deepEqual([none.code, none.stderr], [1, 'cut: Needs one of -CFfcb (see "cut --help")\n']);
    const bad = await sh('cut -d: -c1', '');
    assert.deepEqual([bad.code, bad.stderr], [1, 'cut: -d needs -Ff\n']);
  });
});

test('tr: ranges, classes, -d, -s, -c, short SET2', async () => {
  await withPhone(async (_d, sh) => {
    const tr = async (args: string, input: string): Promise<string> => (await sh(`tr ${args}`, input)).stdout;
    assert.equal(await tr('a-y b-z', 'hello\n'), 'ifmmp\n');
    assert.equal(await tr("'[:lower:]' '[:upper:]'", 'Hello, World\n'), 'HELLO, WORLD\n');
    assert.equal(await tr('-d aeiou', 'education\n'), 'dctn\n');
    assert.equal(await tr("-s ' '", 'a   b  c\n'), 'a b c\n');
    // tr.c: -c complements SET1 (the newline too)
    assert.equal(await tr('-c a-z X', 'ab1\n'), 'abXX');
    // SET2 shorter than SET1: its last character repeats (tr.c map_translation)
    assert.equal(await tr('abc x', 'aabbcc\n'), 'xxxxxx\n');
    assert.equal(await tr("'\\n' ' '", 'a\nb\n'), 'a b ');
    assert.equal(await tr('-d "[:digit:]"', 'a1b22c\n'), 'abc\n');
    // bytes pass through untouched
    const r = await sh('tr a b', Buffer.from([0xff, 0x61, 0x00, 0x80]));
    assert.deepEqual([...r.bytes], [0xff, 0x62, 0x00, 0x80]);
  });
});

test('sort and uniq: -n -r -u -k -t -f -c, counts', async () => {
  await withPhone(async (_d, sh) => {
    const sort = async (args: string, input: string): Promise<string> => (await sh(`sort ${args}`, input)).stdout;
    assert.equal(await sort('', '10\n9\n100\n'), '10\n100\n9\n');
    assert.equal(await sort('-n', '10\n9\n100\n-3\n'), '-3\n9\n10\n100\n');
    assert.equal(await sort('-rn', '10\n9\n100\n'), '100\n10\n9\n');
    assert.equal(await sort('-u', 'b\na\nb\n'), 'a\nb\n');
    assert.equal(await sort('-t, -k2', 'x,3\ny,1\nz,2\n'), 'y,1\nz,2\nx,3\n');
    assert.equal(await sort('-k2,2n', 'a 10\nb 9\nc 100\n'), 'b 9\na 10\nc 100\n');
    // sort.c: -f folds case; the fallback comparison keeps the order stable (strcmp)
    assert.equal(await sort('-f', 'b\nA\na\nB\n'), 'A\na\nB\nb\n');
    assert.equal(await sort('', 'b\nA\na\nB\n'), 'A\nB\na\nb\n');
    // -n compares the integer part only (atoll), the rest by strcmp
    assert.equal(await sort('-n', '1.5\n1.2\n2\n'), '1.2\n1.5\n2\n');
    const c = await sh('sort -c', 'a\nc\nb\n');
    assert.deepEqual([c.code, c.stderr], [1, 'sort: -: Check line 3\n']);
    assert.equal((await sh('sort -c', 'a\nb\n')).code, 0);
    const badKey = await sh('sort -k1z', 'a\n');
    assert.deepEqual([badKey.code, badKey.stderr], [1, 'sort: Unknown key option.\n']);
    // uniq.c: "%7lu " counts, -d repeated lines only, -u unique only
    assert.equal((await sh('uniq -c', 'a\na\nb\n')).stdout, '      2 a\n      1 b\n');
    assert.equal((await sh('uniq -d', 'a\na\nb\n')).stdout, 'a\n');
    assert.equal((await sh('uniq -u', 'a\na\nb\n')).stdout, 'b\n');
    assert.equal((await sh('uniq -i', 'a\nA\nb\n')).stdout, 'a\nb\n');
    assert.equal((await sh('uniq -f 1', 'x a\ny a\nz b\n')).stdout, 'x a\nz b\n');
  });
});

test('grep: BRE and ERE, -F -i -v -c -l -n -o -q -w -x -e -h -H -r, context, exit statuses', async () => {
  await withPhone(async (_d, sh) => {
    const g = async (args: string, input: string): Promise<[number, string]> => {
      const r = await sh(`grep ${args}`, input);
      return [r.code, r.stdout];
    };
    const text = 'apple\nbanana\ncherry\naa+b\n';
    // BRE: + is a literal, \{n\} an interval; ERE: + and | are operators (bionic regcomp)
    assert.deepEqual(await g("'a+b'", text), [0, 'aa+b\n']);
    assert.deepEqual(await g("-E 'an+a'", text), [0, 'banana\n']);
    assert.deepEqual(await g("'a\\{2\\}'", text), [0, 'aa+b\n']);
    assert.deepEqual(await g("-E 'apple|cherry'", text), [0, 'apple\ncherry\n']);
    assert.deepEqual(await g("'^b.*a$'", text), [0, 'banana\n']);
    assert.deepEqual(await g("'\\(an\\)\\1'", text), [0, 'banana\n']);
    assert.deepEqual(await g("'[[:digit:]]'", 'a\nb2\n'), [0, 'b2\n']);
    assert.deepEqual(await g("-F 'a+'", text), [0, 'aa+b\n']);
    assert.deepEqual(await g('-i APPLE', text), [0, 'apple\n']);
    assert.deepEqual(await g('-v a', text), [0, 'cherry\n']);
    assert.deepEqual(await g('-c an', text), [0, '1\n']);
    assert.deepEqual(await g('-n err', text), [0, '3:cherry\n']);
    // grep.c: -o prints each match on its own line
    assert.deepEqual(await g("-o 'an'", text), [0, 'an\nan\n']);
    assert.deepEqual(await g('-w ban', 'ban ana\nbanana\n'), [0, 'ban ana\n']);
    assert.deepEqual(await g('-x apple', 'apple pie\napple\n'), [0, 'apple\n']);
    assert.deepEqual(await g('-e apple -e cherry', text), [0, 'apple\ncherry\n']);
    // -l names stdin "(standard input)"
    assert.deepEqual(await g('-l an', text), [0, '(standard input)\n']);
    // no match: 1; -q: no output
    assert.deepEqual(await g('zzz', text), [1, '']);
    assert.deepEqual(await g('-q an', text), [0, '']);
    // context: -A/-B/-C with "--" between groups
    assert.deepEqual(await g('-A1 2', '1\n2\n3\n4\n5\n2\n7\n'), [0, '2\n3\n--\n2\n7\n']);
    assert.deepEqual(await g('-B1 4', '1\n2\n3\n4\n5\n'), [0, '3\n4\n']);
    // several files: "name:" prefixes, -h drops them; -r walks folders
    await sh(`cd ${T} && mkdir -p r/s && echo hit > r/one && echo miss > r/two && echo hit > r/s/three`);
    assert.equal((await sh(`cd ${T} && grep hit r/one r/two`)).stdout, 'r/one:hit\n');
    assert.equal((await sh(`cd ${T} && grep -h hit r/one r/s/three`)).stdout, 'hit\nhit\n');
    assert.equal((await sh(`cd ${T} && grep -H hit r/one`)).stdout, 'r/one:hit\n');
    assert.equal((await sh(`cd ${T} && grep -r hit r | sort`)).stdout, 'r/one:hit\nr/s/three:hit\n');
    assert.equal((await sh(`cd ${T} && grep -rl hit r | sort`)).stdout, 'r/one\nr/s/three\n');
    assert.equal((await sh(`cd ${T} && grep -c hit r/one r/two`)).stdout, 'r/one:1\nr/two:0\n');
    // errors: exit 2 (TOYFLAG_ARGFAIL(2)), even if another file matched
    const miss = await sh(`cd ${T} && grep hit r/one nope`);
    assert.deepEqual([miss.code, miss.stdout, miss.stderr], [2, 'r/one:hit\n', 'grep: nope: No such file or directory\n']);
    const quiet = await sh(`cd ${T} && grep -s hit nope`);
    assert.deepEqual([quiet.code, quiet.stderr], [2, '']);
    const badRe = await sh("grep 'a\\{1'", 'x\n');
    assert.deepEqual([badRe.code, badRe.stderr], [2, "grep: bad regex 'a\\{1': braces not balanced\n"]);
    const noRe = await sh('grep', '');
    assert.deepEqual([noRe.code, noRe.stderr], [2, 'grep: no REGEX\n']);
    // egrep/fgrep are grep -E / -F
    assert.equal((await sh("egrep 'a|c'", 'a\nb\nc\n')).stdout, 'a\nc\n');
    assert.equal((await sh("fgrep 'a.'", 'ab\na.\n')).stdout, 'a.\n');
  });
});

test('sed: s///, addresses, -n p, d, a/i/c, y, N, hold space, -i, missing last newline', async () => {
  await withPhone(async (_d, sh) => {
    const sed = async (args: string, input: string): Promise<string> => {
      const r = await sh(`sed ${args}`, input);
      assert.equal(r.stderr, '', `sed ${args}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(await sed("'s/l/L/'", 'hello\n'), 'heLlo\n');
    assert.equal(await sed("'s/l/L/g'", 'hello\n'), 'heLLo\n');
    assert.equal(await sed("'s/l/L/2'", 'hello\n'), 'helLo\n');
    assert.equal(await sed("'s/x*/-/g'", 'abc\n'), '-a-b-c-\n');
    assert.equal(await sed("'s/\\(h\\)\\(e\\)/\\2\\1/'", 'hello\n'), 'ehllo\n');
    assert.equal(await sed("-E 's/(l+)/[\\1]/'", 'hello\n'), 'he[ll]o\n');
    assert.equal(await sed("'s/e/&&/'", 'hello\n'), 'heello\n');
    assert.equal(await sed("'s|/|_|g'", '/a/b\n'), '_a_b\n');
    assert.equal(await sed("'s/b/\\n/'", 'abc\n'), 'a\nc\n');
    assert.equal(await sed("-n '2p'", '1\n2\n3\n'), '2\n');
    assert.equal(await sed("'2d'", '1\n2\n3\n'), '1\n3\n');
    assert.equal(await sed("'$d'", '1\n2\n3\n'), '1\n2\n');
    assert.equal(await sed("'1,2d'", '1\n2\n3\n'), '3\n');
    assert.equal(await sed("'/2/,$d'", '1\n2\n3\n'), '1\n');
    assert.equal(await sed("-n '/b/,/d/p'", 'a\nb\nc\nd\ne\n'), 'b\nc\nd\n');
    assert.equal(await sed("'2,+1d'", '1\n2\n3\n4\n'), '1\n4\n');
    assert.equal(await sed("'2!d'", '1\n2\n3\n'), '2\n');
    assert.equal(await sed("-e 's/a/b/' -e 's/b/c/'", 'a\n'), 'c\n');
    assert.equal(await sed("'s/a/b/;s/b/c/'", 'a\n'), 'c\n');
    assert.equal(await sed("'1i top'", 'x\n'), 'top\nx\n');
    assert.equal(await sed("'$a end'", 'x\ny\n'), 'x\ny\nend\n');
    assert.equal(await sed("'2c mid'", '1\n2\n3\n'), '1\nmid\n3\n');
    assert.equal(await sed("'y/abc/xyz/'", 'aabbcc\n'), 'xxyyzz\n');
    assert.equal(await sed('=', 'a\nb\n'), '1\na\n2\nb\n');
    assert.equal(await sed('q', '1\n2\n'), '1\n');
    assert.equal(await sed('2q', '1\n2\n3\n'), '1\n2\n');
    assert.equal(await sed("'N;s/\\n/-/'", '1\n2\n3\n4\n'), '1-2\n3-4\n');
    assert.equal(await sed("-n '1!G;h;$p'", 'a\nb\nc\n'), 'c\nb\na\n');
    assert.equal(await sed("'/x/{s/x/y/;s/a/b/}'", 'xa\nza\n'), 'yb\nza\n');
    // sed.c emit(): a last line without a newline stays without one
    assert.equal(await sed("'s/b/c/'", 'a\nb'), 'a\nc');
    // toybox's "a": the text goes out with a newline even after such a line (tests/sed.test "prodigaler newline")
    assert.equal(await sed("-e 'a\\' -e woo", 'one'), 'one\nwoo\n');
    // -i: in place, -iSUF keeps a backup
    await sh(`cd ${T} && printf 'one\\ntwo\\n' > f && chmod 640 f`);
    assert.equal((await sh(`cd ${T} && sed -i 's/one/1/' f && cat f && stat -c %a f`)).stdout, '1\ntwo\n640\n');
    assert.equal((await sh(`cd ${T} && sed -i.bak 's/two/2/' f && cat f f.bak && ls`)).stdout, '1\n2\n1\ntwo\nf\nf.bak\n');
    const ro = await sh('sed -i s/a/b/ /system/build.prop');
    assert.equal(ro.code, 1);
    const miss = await sh(`sed p ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `sed: ${T}/nope: No such file or directory\n`]);
    const bad = await sh("sed 's/a/b'", 'a\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^sed: bad pattern/);
  });
});

test('printf: conversions, widths, precision, escapes, %b, reused format, bad numbers', async () => {
  await withPhone(async (_d, sh) => {
    const p = async (args: string): Promise<string> => (await sh(`printf ${args}`)).stdout;
    // toys/posix/printf.c: %[flags][width][.prec] with * from the arguments
    assert.equal(await p("'%5s|%-5s|%.2s|\\n' ab cd xyz"), '   ab|cd   |xy|\n');
    assert.equal(await p("'%d %i %x %X %o %c %u\\n' 42 -7 255 255 8 hello 3"), '42 -7 ff FF 10 h 3\n');
    assert.equal(await p("'%05d|%-4d|%+d|% d\\n' 42 7 5 3"), '00042|7   |+5| 3\n');
    assert.equal(await p("'%.2f %e %g %G %5.1f\\n' 3.14159 12345.678 0.00001 1e20 2.25"), '3.14 1.234568e+04 1e-05 1E+20   2.2\n');
    assert.equal(await p("'%*d|%-*s|\\n' 5 42 3 a"), '   42|a  |\n');
    assert.equal(await p("'%#x %#o\\n' 255 8"), '0xff 010\n');
    assert.equal(await p("'%d\\n' 0x1f 010 \"'A\""), '31\n8\n65\n');
    // the format is reused while arguments remain
    assert.equal(await p("'%s=%s\\n' a 1 b 2 c"), 'a=1\nb=2\nc=\n');
    assert.equal(await p("'a\\tb\\x41\\101\\n'"), 'a\tbAA\n');
    assert.equal(await p("'%b\\n' 'x\\ty\\0101'"), 'x\tyA\n');
    assert.equal(await p("'x\\cy'"), 'x');
    assert.equal(await p("'100%%\\n'"), '100%\n');
    const bad = await sh("printf '%d|\\n' abc");
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '0|\n', 'printf: bad %d abc\n']);
    const noArgs = await sh('printf');
    assert.equal(noArgs.code, 1);
  });
});

test('echo (/system/bin/echo), seq, yes', async () => {
  await withPhone(async (_d, sh) => {
    // toys/posix/echo.c: -n, -e escapes (\0NNN octal, \xHH, \c stops), -E, an unknown option is text
    assert.equal((await sh("/system/bin/echo -n a b")).stdout, 'a b');
    assert.equal((await sh("/system/bin/echo -e 'a\\tb\\x41\\0101\\cnot'")).stdout, 'a\tbAA');
    assert.equal((await sh("/system/bin/echo -E 'a\\tb'")).stdout, 'a\\tb\n');
    assert.equal((await sh('/system/bin/echo -x y')).stdout, '-x y\n');
    // toys/lsb/seq.c
    assert.equal((await sh('seq 3')).stdout, '1\n2\n3\n');
    assert.equal((await sh('seq 2 3 11')).stdout, '2\n5\n8\n11\n');
    assert.equal((await sh('seq 5 1')).stdout, '');
    assert.equal((await sh('seq 3 -1 1')).stdout, '3\n2\n1\n');
    assert.equal((await sh('seq 1 0.5 2')).stdout, '1.0\n1.5\n2.0\n');
    assert.equal((await sh('seq -w 8 11')).stdout, '08\n09\n10\n11\n');
    assert.equal((await sh("seq -f '%.2f' 1 2")).stdout, '1.00\n2.00\n');
    assert.equal((await sh('seq -s, 1 3')).stdout, '1,2,3\n');
    // with any option toybox pads to the widest argument ("%0*.*f"), so -s alone zero-pads too
    assert.equal((await sh('seq -s " " 9 11')).stdout, '09 10 11\n');
    const badF = await sh("seq -f '%d' 1 2");
    assert.deepEqual([badF.code, badF.stderr], [1, "seq: bad -f '%d'@2\n"]);
    assert.equal((await sh('yes | head -3')).stdout, 'y\ny\ny\n');
    assert.equal((await sh('yes a b | head -2')).stdout, 'a b\na b\n');
  });
});

test('date, id, whoami, uname, nproc, getenforce, which', async () => {
  await withPhone(async (_d, sh) => {
    // toys/posix/date.c: "%a %b %e %H:%M:%S %Z %Y" in the phone's zone (UTC)
    assert.equal((await sh('date -d @0')).stdout, 'Thu Jan  1 00:00:00 UTC 1970\n');
    assert.equal((await sh('date -u +%s -d @1234567890')).stdout, '1234567890\n');
    assert.equal((await sh("date +'%Y-%m-%d %H:%M:%S %j %a %A %b %B %u' -d '2024-02-29 13:14:15'")).stdout, '2024-02-29 13:14:15 060 Thu Thursday Feb February 4\n');
    assert.equal((await sh('date -I -d @86400')).stdout, '1970-01-02\n');
    assert.equal((await sh("date +%3N -d @1.5")).stdout, '500\n');
    assert.match((await sh('date')).stdout, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n$/);
    const bad = await sh('date -d tomorrow');
    assert.deepEqual([bad.code, bad.stderr], [1, 'date: bad date tomorrow\n']);
    // setting the clock: not as the shell user, the date still printed
    const set = await sh('date 010203042024');
    assert.deepEqual([set.code, set.stdout, set.stderr], [1, 'Tue Jan  2 03:04:00 UTC 2024\n', 'date: cannot set date: Operation not permitted\n']);
    // toys/posix/id.c
    assert.match((await sh('id')).stdout, /^uid=2000\(shell\) gid=2000\(shell\) groups=2000\(shell\),1004\(input\),1007\(log\),1011\(adb\),1015\(sdcard_rw\),1028\(sdcard_r\),.* context=u:r:shell:s0\n$/);
    assert.equal((await sh('id -u; id -g; id -un; whoami')).stdout, '2000\n2000\nshell\nshell\n');
    assert.match((await sh('id -Gn')).stdout, /^shell input log adb sdcard_rw sdcard_r /);
    assert.equal((await sh('id root')).stdout, 'uid=0(root) gid=0(root) groups=0(root) context=u:r:shell:s0\n');
    const nouser = await sh('id nosuch');
    assert.deepEqual([nouser.code, nouser.stderr], [1, "id: no such user 'nosuch'\n"]);
    // toys/posix/uname.c: -a is s n r v m then "Toybox"
    assert.equal((await sh('uname')).stdout, 'Linux\n');
    const release = (await sh('cat /proc/sys/kernel/osrelease')).stdout.trim();
    const machine = (await sh('uname -m')).stdout.trim();
    assert.match(machine, /^(aarch64|x86_64|i686|armv8l)$/);
    assert.equal((await sh('uname -r')).stdout, `${release}\n`);
    assert.match((await sh('uname -a')).stdout, new RegExp(`^Linux localhost ${release.replace(/\./g, '\\.')} #\\d+ .* ${machine} Toybox\\n$`));
    assert.equal((await sh('uname -o')).stdout, 'Toybox\n');
    const cpus = (await sh('grep -c ^processor /proc/cpuinfo')).stdout;
    assert.equal((await sh('nproc')).stdout, cpus);
    assert.equal((await sh('getenforce')).stdout, 'Enforcing\n');
    // toys/other/which.c: first match on $PATH; nothing found is exit 1 and no output
    assert.equal((await sh('which ls sh')).stdout, '/system/bin/ls\n/system/bin/sh\n');
    const none = await sh('which nosuchtool');
    assert.deepEqual([none.code, none.stdout, none.stderr], [1, '', '']);
    await sh(`cd ${T} && printf '#!/system/bin/sh\\necho hi\\n' > tool && chmod 755 tool`);
    assert.equal((await sh(`PATH=${T}:$PATH which tool`)).stdout, `${T}/tool\n`);
  });
});

test('env, printenv, xargs, tee, sleep, cmp, xxd, od, base64', async () => {
  await withPhone(async (_d, sh) => {
    assert.match((await sh('env')).stdout, /^PATH=\/product\/bin:.*\/system\/bin/m);
    assert.equal((await sh('env -i FOO=1 env')).stdout, 'FOO=1\n');
    assert.equal((await sh("env FOO=bar sh -c 'echo $FOO'")).stdout, 'bar\n');
    const noCmd = await sh('env nosuchcmd');
    assert.deepEqual([noCmd.code, noCmd.stderr], [127, 'env: exec nosuchcmd: No such file or directory\n']);
    assert.equal((await sh('FOO=x printenv FOO')).stdout, 'x\n');
    assert.equal((await sh('printenv NOPE_NOT_SET; echo $?')).stdout, '1\n');
    // toys/posix/xargs.c: whitespace splits, no quote processing; -n batches; status 123 on failures
    assert.equal((await sh('xargs echo', 'a b\nc\n')).stdout, 'a b c\n');
    assert.equal((await sh('xargs -n 2 echo', 'a b c\n')).stdout, 'a b\nc\n');
    assert.equal((await sh('xargs -0 echo', 'a b\0c\0')).stdout, 'a b c\n');
    assert.equal((await sh('xargs echo', '')).stdout, '\n');
    assert.equal((await sh('xargs -r echo', '')).stdout, '');
    assert.equal((await sh('xargs false', 'x\n')).code, 123);
    const t = await sh('xargs -t echo', 'z\n');
    assert.deepEqual([t.stdout, t.stderr], ['z\n', 'echo z \n']);
    assert.equal((await sh(`echo hi | tee ${T}/a ${T}/b && cat ${T}/a ${T}/b`)).stdout, 'hi\nhi\nhi\n');
    assert.equal((await sh(`echo more | tee -a ${T}/a >/dev/null; cat ${T}/a`)).stdout, 'hi\nmore\n');
    const started = Date.now();
    assert.equal((await sh('sleep 0.2')).code, 0);
    assert.ok(Date.now() - started >= 190);
    const badSleep = await sh('sleep x');
    assert.deepEqual([badSleep.code, badSleep.stderr], [1, "sleep: Not a number 'x'\n"]);
    assert.deepEqual(await sh('sleep 1q').then((r) => [r.code, r.stderr]), [1, "sleep: Unknown suffix 'q'\n"]);
    // toys/posix/cmp.c
    await sh(`cd ${T} && printf 'abc\\n' > c1 && printf 'abd\\n' > c2 && printf 'ab' > c3`);
    assert.deepEqual(await sh(`cd ${T} && cmp c1 c1`).then((r) => [r.code, r.stdout]), [0, '']);
    assert.deepEqual(await sh(`cd ${T} && cmp c1 c2`).then((r) => [r.code, r.stdout]), [1, 'c1 c2 differ: char 3, line 1\n']);
    assert.deepEqual(await sh(`cd ${T} && cmp -l c1 c2`).then((r) => [r.code, r.stdout]), [1, '3 143 144\n']);
    assert.deepEqual(await sh(`cd ${T} && cmp c1 c3`).then((r) => [r.code, r.stderr]), [1, 'cmp: EOF on c3 after byte 2, line 0\n']);
    assert.equal((await sh(`cd ${T} && cmp c1 nope`)).code, 2);
    // toys/other/xxd.c: "%08llx: ", groups of 2 bytes, the text column after
    assert.equal((await sh('printf hello | xxd')).stdout, `00000000: 6865 6c6c 6f${' '.repeat(29)}hello\n`);
    assert.equal((await sh("printf '0123456789abcdefX' | xxd")).stdout, `00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n00000010: 58${' '.repeat(39)}X\n`);
    assert.equal((await sh('printf hello | xxd -p')).stdout, '68656c6c6f\n');
    assert.equal((await sh('printf hello | xxd -p | xxd -r -p')).stdout, 'hello');
    // toys/posix/od.c: default octal words; -A x -t x1; 'z' is not a type toybox knows
    assert.equal((await sh('printf abc | od -A x -t x1')).stdout, '000000 61 62 63\n000003\n');
    // (each 2-byte word gets 2 * ceil(7/2) columns: od_outline()'s per-byte pad)
    assert.equal((await sh('printf abcd | od')).stdout, '0000000  061141  062143\n0000004\n');
    assert.equal((await sh('printf "a\\n" | od -c')).stdout, '0000000   a  \\n\n0000002\n');
    const z = await sh('printf abc | od -A x -t x1z');
    assert.deepEqual([z.code, z.stderr], [1, 'od: bad -t x1z\n']);
    // toys/other/base64.c
    assert.equal((await sh('printf hello | base64')).stdout, 'aGVsbG8=\n');
    assert.equal((await sh('printf hello | base64 -w 4')).stdout, 'aGVs\nbG8=\n');
    assert.equal((await sh('printf aGVsbG8= | base64 -d')).stdout, 'hello');
  });
});

test('tac, rev, truncate, mktemp, timeout, unlink, usleep', async () => {
  await withPhone(async (_d, sh) => {
    // toys/other/tac.c: lines reversed as they were read (a last line without newline stays so)
    assert.equal((await sh('tac', 'a\nb\nc')).stdout, 'cb\na\n');
    // toys/other/rev.c: bytes of each line reversed, always a newline after
    assert.equal((await sh('rev', 'abc\nde')).stdout, 'cba\ned\n');
    // toys/other/truncate.c: SIZE, +N, -N, /N (round down), %N (round up); created rw-rw-rw-
    const size = async (args: string): Promise<string> => (await sh(`cd ${T} && truncate ${args} t && stat -c %s t`)).stdout.trim();
    assert.equal(await size('-s 10'), '10');
    assert.equal(await size('-s +5'), '15');
    assert.equal(await size('-s /4'), '12');
    assert.equal(await size('-s %5'), '15');
    assert.equal(await size('-s -5'), '10');
    const neg = await sh(`truncate -s -1k ${T}/t`);
    assert.deepEqual([neg.code, neg.stderr], [1, `truncate: '${T}/t' to '-1014': Invalid argument\n`]);
    assert.equal((await sh(`truncate -c -s 1 ${T}/absent; ls ${T}`)).stdout, 't\n');
    const noS = await sh(`truncate ${T}/t`);
    assert.deepEqual([noS.code, noS.stderr], [1, 'truncate: Needs -s (see "truncate --help")\n']);
    // toys/lsb/mktemp.c: DIR/tmp.XXXXXXXXXX by default, the X's random
    const made = (await sh(`mktemp -p ${T}`)).stdout.trim();
    assert.match(made, /^\/data\/local\/tmp\/tmp\.[A-Za-z0-9]{10}$/);
    assert.equal((await sh(`stat -c %a ${made}`)).stdout, '600\n');
    const dir = (await sh(`mktemp -d ${T}/dXXXX`)).stdout.trim();
    assert.equal((await sh(`stat -c '%F %a' ${dir}`)).stdout, 'directory 700\n');
    const few = await sh(`mktemp ${T}/aXX`);
    assert.deepEqual([few.code, few.stderr], [1, 'mktemp: need XXX: Invalid argument\n']);
    // toys/other/timeout.c: 124 when it had to stop the command
    const started = Date.now();
    assert.equal((await sh('timeout 0.2 sleep 10; echo $?')).stdout, '124\n');
    assert.ok(Date.now() - started < 3000);
    assert.equal((await sh('timeout 5 echo ok')).stdout, 'ok\n');
    const badT = await sh('timeout x echo');
    assert.deepEqual([badT.code, badT.stderr], [125, "timeout: Not a number 'x'\n"]);
    const u = await sh(`unlink ${T}/nope`);
    assert.deepEqual([u.code, u.stderr], [1, `unlink: Couldn't unlink '${T}/nope': No such file or directory\n`]);
    assert.equal((await sh(`touch ${T}/gone && unlink ${T}/gone && ls ${T}/gone`)).code, 1);
    assert.equal((await sh('usleep 1000 && sync && echo ok')).stdout, 'ok\n');
  });
});
