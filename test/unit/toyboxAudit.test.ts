import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPhone } from '../helpers/phoneShell';
import { braceExpand } from '../../extension/core/virtualPhone/sh/interp';

/**
 * The phone's shell and awk, below adb (the interpreter `adb shell` runs), on the corners scripts reach.
 * awk expectations follow POSIX awk and The AWK Programming Language (one-true-awk is Android's awk since 9):
 * uninitialised values are "" and 0, index(s, "") is 1 (run.c sindex), a field compares as a number only with a number, print uses OFMT and
 * concatenation CONVFMT (%.6g) but integers print whole, substr clips to the string, RS="" is paragraph
 * mode, NR counts across files and FNR per file, `exit` still runs END. Shell expectations follow mksh(1).
 */

test('awk: values, formats and comparisons as POSIX awk defines them', async () => {
  await withPhone(async (_d, sh) => {
    const r = await sh(`awk 'BEGIN {
      print x + 0, "[" x "]", length(x);
      print 0.1 + 0.2, 1e6, 123456789012, 3.0, "3.0" + 0, 2^31, -7 % 3, int(-3.7);
      OFMT = "%.2f"; print 3.14159; y = 3.14159 ""; print y;
      print substr("hello", 0, 2) "|" substr("hello", 4) "|" substr("hello", 9) "|" substr("hello", -1, 3);
      print index("abc", ""), match("xxabbb", /ab+/), RSTART, RLENGTH;
      printf "%c%c|%5s|%-5d|%.3e|%%\\n", 65, "hi", "r", 42, 1234.5;
      print ("10" < "9"), (10 < 9), ("abc" ~ "^a"), ("abc" ~ /c$/) }'`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      '0 [] 0',
      '0.3 1000000 123456789012 3 3 2147483648 -1 -3',
      '3.14', '3.14159',
      'h|lo||h',
      '1 3 3 4',
      'Ah|    r|42   |1.234e+03|%',
      '1 0 1 1',
    ].join('\n') + '\n');
  });
});

test('awk: files, NR/FNR, RS paragraph mode, getline < file, -f program, ENVIRON, delete and in', async () => {
  await withPhone(async (_d, sh) => {
    await sh("printf 'a\\nb\\n' > /data/local/tmp/f1; printf 'c\\n' > /data/local/tmp/f2; printf 'p1 l1\\np1 l2\\n\\n\\np2 l1\\n' > /data/local/tmp/para");
    assert.equal((await sh("awk '{print FILENAME, NR, FNR, $0}' /data/local/tmp/f1 /data/local/tmp/f2")).stdout,
      '/data/local/tmp/f1 1 1 a\n/data/local/tmp/f1 2 2 b\n/data/local/tmp/f2 3 1 c\n');
    assert.equal((await sh("awk 'BEGIN {RS = \"\"} {print NR \": \" $1 \"/\" NF}' /data/local/tmp/para")).stdout, '1: p1/4\n2: p2/2\n');
    assert.equal((await sh("awk 'BEGIN {while ((getline line < \"/data/local/tmp/f1\") > 0) n++; print n, line}'")).stdout, '2 b\n');
    await sh("printf '{ s = s $0 } END { print s }\\n' > /data/local/tmp/prog.awk");
    assert.equal((await sh('awk -f /data/local/tmp/prog.awk /data/local/tmp/f1')).stdout, 'ab\n');
    assert.equal((await sh("MYVAR=from-env awk 'BEGIN {print ENVIRON[\"MYVAR\"]}'")).stdout, 'from-env\n');
    assert.equal((await sh("awk 'BEGIN {a[1]; a[2]; delete a[1]; print (1 in a), (2 in a), length(a); delete a; print length(a)}'")).stdout, '0 1 1\n0\n');
    // `exit` in the main part still runs END; its status is the command's.
    const ex = await sh("printf '1\\n2\\n3\\n' | awk '$1 == 2 {exit 4} {n++} END {print \"end\", n}'");
    assert.equal(ex.stdout, 'end 1\n');
    assert.equal(ex.code, 4);
    // var=value operands assign between files.
    assert.equal((await sh("awk '{print v, $0}' v=1 /data/local/tmp/f2 v=2 /data/local/tmp/f2")).stdout, '1 c\n2 c\n');
    const missing = await sh("awk '{print}' /data/local/tmp/none");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^awk: can't open file \/data\/local\/tmp\/none/);
  });
});

test('mksh brace expansion leaves find -exec {}, quoted and ${…} braces alone', () => {
  assert.deepEqual(braceExpand('a{b,c}d'), ['abd', 'acd']);
  assert.deepEqual(braceExpand('x{1,{2,3}}'), ['x1', 'x2', 'x3']);
  assert.deepEqual(braceExpand('{}'), ['{}']);
  assert.deepEqual(braceExpand('{1..3}'), ['{1..3}']);
  assert.deepEqual(braceExpand("'{a,b}'"), ["'{a,b}'"]);
  assert.deepEqual(braceExpand('${x:-a,b}'), ['${x:-a,b}']);
  assert.deepEqual(braceExpand('"$(echo {a,b})"'), ['"$(echo {a,b})"']);
});

test('mksh: [[ ]] errors are status 2, (( )) is not a nested subshell, let sets variables, typeset -l', async () => {
  await withPhone(async (_d, sh) => {
    assert.equal((await sh('[[ 3 -gt x ]]; echo $?')).stdout, '2\n');
    assert.equal((await sh('((echo sub) ); echo $?')).stdout, 'sub\n0\n');
    assert.equal((await sh('let a=2*3 b=a+1; echo $a $b')).stdout, '6 7\n');
    assert.equal((await sh('typeset -l low=MiXeD; echo $low')).stdout, 'mixed\n');
    assert.equal((await sh('v=abcdef; echo "${v: -2}|${v:10}|${v:2:2}|${v:$((1+1))}"')).stdout, 'ef||cd|cdef\n');
    assert.equal((await sh('cat <<< "$((6*7)) here"')).stdout, '42 here\n');
  });
});

test('mksh arrays: read -A, set -A / set +A, name=(…), name[i]=, ${a[i]}, ${a[@]} as fields, ${#a[*]}, ${!a[@]}, unset a[i]', async () => {
  await withPhone(async (_d, sh) => {
    const r = await sh([
      'set -A arr x y z; echo ${arr[1]} ${#arr[@]} $arr',
      'b=(1 "two words" 3); for v in "${b[@]}"; do echo "<$v>"; done',
      'b[5]=five; echo ${#b[*]} ${!b[@]}',
      'unset b[1]; echo ${b[@]}; echo ${b[7]:-dflt} ${#b[2]}',
      'i=2; echo ${b[i]} ${b[$i-2]}',
      'set +A arr Q; echo ${arr[@]}',
      'unset arr; echo "[${arr[@]}]"',
      'echo "a b  c" | read -A words; echo ${#words[@]} ${words[2]}',
      'IFS=: read -A parts <<< "x:y::z"; echo ${#parts[@]} "[${parts[2]}]" ${parts[3]}',
    ].join('\n'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'y 3 x\n<1>\n<two words>\n<3>\n4 0 1 2 5\n1 3 five\ndflt 1\n3 1\nQ y z\n[]\n3 c\n4 [] z\n');
  });
});

test('mksh: a glob ending in / lists folders with the slash; pwd -P resolves /sdcard; $KSH_VERSION and $SECONDS; toybox multiplexer', async () => {
  await withPhone(async (_d, sh) => {
    await sh('mkdir -p /data/local/tmp/gd/sub1 /data/local/tmp/gd/sub2; touch /data/local/tmp/gd/file1');
    assert.equal((await sh('echo /data/local/tmp/gd/*/; cd /data/local/tmp/gd && echo */ && echo s*/')).stdout, '/data/local/tmp/gd/sub1/ /data/local/tmp/gd/sub2/\nsub1/ sub2/\nsub1/ sub2/\n');
    assert.equal((await sh('echo /data/local/tmp/gd/nothing*/')).stdout, '/data/local/tmp/gd/nothing*/\n');
    assert.equal((await sh('cd /sdcard; pwd; pwd -P')).stdout, '/sdcard\n/storage/emulated/0\n');
    // Android's mksh (an env dump of an Android 14 shell shows KSH_VERSION=@(#)MIRBSD KSH R59 2020/10/31, KSHUID=2000).
    assert.equal((await sh('echo "$KSH_VERSION|$SECONDS|$KSHUID"')).stdout, '@(#)MIRBSD KSH R59 2020/10/31|0|2000\n');
    assert.equal((await sh('toybox --version; toybox echo via-toybox; toybox | head -1 | cut -d" " -f1-3')).stdout, 'toybox 0.8.9-android\nvia-toybox\nacpi base64 basename\n');
    const bad = await sh('toybox awk');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'toybox: Unknown command awk (see "toybox --help")\n');
  });
});

test('mksh: PIPESTATUS has every stage status; set -o pipefail makes the rightmost failure the pipeline status', async () => {
  await withPhone(async (_d, sh) => {
    assert.equal((await sh('false | true; echo $? ${PIPESTATUS[0]} ${PIPESTATUS[1]}')).stdout, '0 1 0\n');
    assert.equal((await sh('set -o pipefail; false | true; echo $?; true | (exit 3) | true; echo $? ${PIPESTATUS[*]}; set +o pipefail; false | true; echo $?')).stdout, '1\n3 0 3 0\n0\n');
  });
});

test('mksh: sh -c names itself as it was called ($0 and messages); /system/bin/sh -c keeps the path', async () => {
  await withPhone(async (_d, sh) => {
    const r = await sh("sh -c 'echo $0; nosuch'; /system/bin/sh -c 'echo $0'; sh -c 'echo $0 $1' a b");
    assert.equal(r.stdout, 'sh\n/system/bin/sh\na b\n');
    assert.equal(r.stderr, 'sh: nosuch: inaccessible or not found\n');
  });
});
