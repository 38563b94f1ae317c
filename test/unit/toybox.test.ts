/**
 * toybox's file commands on the virtual phone, through the phone's own shell (test/helpers/phoneShell.ts) and
 * its sandbox: output formats, error messages and exit statuses as toybox 0.8.9 (Android 14) prints them.
 * Each assertion names the toybox source it comes from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPhone } from '../helpers/phoneShell';

const T = '/data/local/tmp';

test('ls -l: total line, padded columns, owners by name, YYYY-MM-DD HH:MM, link targets', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir d && touch -d "2024-05-06 07:08:09" d/a && dd if=/dev/zero of=d/big bs=1000 count=5 status=none && touch -d "2024-05-06 07:08:09" d/big && ln -s a d/l`);
    const r = await sh(`ls -l ${T}/d`);
    assert.equal(r.code, 0, r.stderr);
    // toys/posix/ls.c: "total %s" of the 1 KiB blocks (st_blocks/2) when listing a folder with -l
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^total \d+$/);
    // ls.c listfiles(): mode, nlink right-aligned, user and group left-aligned to the widest, size
    // right-aligned to the widest, " %F %H:%M" then the name; symlinks get " -> target"
    assert.equal(lines[1], '-rw-rw-rw- 1 shell shell    0 2024-05-06 07:08 a');
    assert.equal(lines[2], '-rw-rw-rw- 1 shell shell 5000 2024-05-06 07:08 big');
    assert.match(lines[3], /^lrwxrwxrwx 1 shell shell {4}1 \d{4}-\d\d-\d\d \d\d:\d\d l -> a$/);
    // the total is the sum of the entries' st_blocks/2
    const blocks = Number((await sh(`stat -c %b ${T}/d/a ${T}/d/big ${T}/d/l`)).stdout.split('\n').filter(Boolean).reduce((n, b) => n + Number(b), 0));
    assert.equal(lines[0], `total ${blocks / 2}`);
    // -n: numeric ids (ls.c zprint of st_uid), -h: human readable sizes (lib.c human_readable)
    assert.match((await sh(`ls -ln ${T}/d/big`)).stdout, /^-rw-rw-rw- 1 2000 2000 5000 2024-05-06 07:08 \/data\/local\/tmp\/d\/big\n$/);
    // (5000 bytes: 4.8K, human_readable() truncates the tenths: 5000/1024 = 4.88)
    assert.match((await sh(`ls -lh ${T}/d/big`)).stdout, / 4\.8K 2024-05-06 07:08 /);
    // -a lists . and .. (ls.c filter(): FLAG(a) saves every entry), -A all but those
    assert.deepEqual((await sh(`ls -a ${T}/d`)).stdout.split('\n').filter(Boolean), ['.', '..', 'a', 'big', 'l']);
    await sh(`touch ${T}/d/.hidden`);
    assert.deepEqual((await sh(`ls -A ${T}/d`)).stdout.split('\n').filter(Boolean), ['.hidden', 'a', 'big', 'l']);
    assert.deepEqual((await sh(`ls ${T}/d`)).stdout.split('\n').filter(Boolean), ['a', 'big', 'l']);
  });
});

test('ls sorting, -d, -F/-p, -s, -i, -R labels, several arguments, errors', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir -p top/sub && echo 1 > top/f1 && dd if=/dev/zero of=top/f2 bs=1024 count=10 status=none && touch -d @100 top/f1 && touch -d @200 top/f2`);
    // ls.c compare(): -S biggest first, -t newest first, -r reverses
    assert.deepEqual((await sh(`ls -S ${T}/top`)).stdout.split('\n').filter(Boolean), ['f2', 'sub', 'f1']);
    assert.deepEqual((await sh(`ls -tr ${T}/top/f1 ${T}/top/f2`)).stdout.split('\n').filter(Boolean), [`${T}/top/f1`, `${T}/top/f2`]);
    // endtype(): -F marks folders / and -p too
    assert.deepEqual((await sh(`ls -p ${T}/top`)).stdout.split('\n').filter(Boolean), ['f1', 'f2', 'sub/']);
    // -d lists the folder itself
    assert.equal((await sh(`ls -d ${T}/top`)).stdout, `${T}/top\n`);
    // -s: size in 1 KiB blocks before the name, padded to the widest (ls.c "%*s "), and the total
    const k = (await sh(`stat -c %b ${T}/top/f1 ${T}/top/f2 ${T}/top/sub`)).stdout.split('\n').filter(Boolean).map((b) => Number(b) / 2);
    const w = Math.max(...k.map((n) => String(n).length));
    assert.deepEqual((await sh(`ls -s ${T}/top`)).stdout.split('\n'), [`total ${k[0] + k[1] + k[2]}`, `${String(k[0]).padStart(w)} f1`, `${String(k[1]).padStart(w)} f2`, `${String(k[2]).padStart(w)} sub`, '']);
    // -R: "path:" titles, a blank line between folders (ls.c TT.nl_title)
    const rec = await sh(`cd ${T} && ls -R top`);
    assert.equal(rec.stdout, 'top:\nf1\nf2\nsub\n\ntop/sub:\n');
    // files first, then each folder under a title (ls.c listfiles() of the top level)
    const many = await sh(`cd ${T}/top && ls sub f1 f2`);
    assert.equal(many.stdout, 'f1\nf2\n\nsub:\n');
    // a missing name: "ls: NAME: No such file or directory", the rest still listed, exit 1
    const miss = await sh(`ls ${T}/top/nope ${T}/top/f1`);
    assert.deepEqual([miss.code, miss.stderr, miss.stdout], [1, `ls: ${T}/top/nope: No such file or directory\n`, `${T}/top/f1\n`]);
    // the shell may not read /data (drwxrwx--x system system)
    const denied = await sh('ls /data');
    assert.deepEqual([denied.code, denied.stderr], [1, 'ls: /data: Permission denied\n']);
    // -i: the inode number first
    assert.match((await sh(`ls -i ${T}/top/f1`)).stdout, /^\d+ \/data\/local\/tmp\/top\/f1\n$/);
  });
});

test('ls on a terminal lays names out in columns (-C), one per line otherwise (-1)', async () => {
  await withPhone(async (device, sh) => {
    await sh(`cd ${T} && mkdir c && cd c && touch alpha beta gamma delta epsilon`);
    // ls.c ls_main(): a tty implies -C (columns sorted down), a pipe -1
    assert.equal((await sh(`ls ${T}/c`)).stdout, 'alpha\nbeta\ndelta\nepsilon\ngamma\n');
    const { runLine } = await import('../helpers/phoneShell');
    const tty = await runLine(device, `ls ${T}/c`, { tty: true });
    assert.equal(tty.stdout.replace(/\r/g, ''), 'alpha  beta  delta  epsilon  gamma\n');
    // -x with -w: across, as many columns as fit in w+2, each as wide as its widest name plus 2 (ls.c next_column())
    assert.equal((await sh(`ls -x -w 20 ${T}/c`)).stdout, 'alpha  beta\ndelta  epsilon\ngamma\n');
    // -C: sorted down the columns; a column is as wide as its widest entry (7) plus 2 minus the previous name
    assert.equal((await sh(`ls -C -w 20 ${T}/c`)).stdout, 'alpha  epsilon\nbeta   gamma\ndelta\n');
  });
});

test('stat: default layout, -c escapes, -f, -L, errors', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && printf 'hello' > f && chmod 640 f && touch -d "2023-02-03 04:05:06" f && ln -s f lnk`);
    const r = await sh(`stat ${T}/f`);
    assert.equal(r.code, 0, r.stderr);
    // toys/other/stat.c default format: "  File: %N", "  Size: %s\t Blocks: %b\t IO Blocks: %B\t %F", …
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `  File: ${T}/f`);
    assert.equal(lines[1], '  Size: 5\t Blocks: 8\t IO Blocks: 512\t regular file');
    assert.match(lines[2], /^Device: fd2dh\/64813d\t Inode: \d+\t Links: 1\t Device type: 0,0$/);
    // "Access: (%04a/%A)\tUid: (%5u/%8U)\tGid: (%5g/%8G)"
    assert.equal(lines[3], 'Access: (0640/-rw-r-----)\tUid: ( 2000/   shell)\tGid: ( 2000/   shell)');
    // format_iso_time(): "%F %T.nanoseconds %z"
    assert.equal(lines[5], 'Modify: 2023-02-03 04:05:06.000000000 +0000');
    // -c with printf widths (stat.c out()/strout())
    assert.equal((await sh(`stat -c '%a|%A|%s|%U:%G|%u|%F|%n|%Y|%5s|%-4a|' ${T}/f`)).stdout, `640|-rw-r-----|5|shell:shell|2000|regular file|${T}/f|1675397106|    5|640 |\n`);
    assert.equal((await sh(`stat -c %F ${T}/lnk`)).stdout, 'symbolic link\n');
    assert.equal((await sh(`stat -L -c %F ${T}/lnk`)).stdout, 'regular file\n');
    assert.equal((await sh(`stat -c %N ${T}/lnk`)).stdout, `${T}/lnk -> 'f'\n`);
    assert.equal((await sh('stat -c "%F %a %U %G" /data/local/tmp')).stdout, 'directory 771 shell shell\n');
    // stat.c: an empty regular file is a "regular empty file"
    await sh(`touch ${T}/empty`);
    assert.equal((await sh(`stat -c %F ${T}/empty`)).stdout, 'regular empty file\n');
    // perror_msg("'%s'") for a missing file, exit 1
    const miss = await sh(`stat ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `stat: '${T}/nope': No such file or directory\n`]);
    // -f: the file system (f2fs under /data)
    assert.equal((await sh(`stat -f -c '%T %s' ${T}`)).stdout, 'f2fs 4096\n');
  });
});

test('chmod: octal and symbolic modes, -R, read-only mounts and other owners', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && touch f && mkdir -p d/e && touch d/e/g`);
    const mode = async (p: string): Promise<string> => (await sh(`stat -c %a ${p}`)).stdout.trim();
    assert.equal((await sh(`chmod 750 ${T}/f`)).code, 0);
    assert.equal(await mode(`${T}/f`), '750');
    // lib.c string_to_mode(): u+x,go-w,a=r, copies (g=u), X only for folders or executables
    await sh(`chmod 644 ${T}/f && chmod u+x,go-w ${T}/f`);
    assert.equal(await mode(`${T}/f`), '744');
    await sh(`chmod a=r ${T}/f`);
    assert.equal(await mode(`${T}/f`), '444');
    await sh(`chmod u=rw,g=u ${T}/f`);
    assert.equal(await mode(`${T}/f`), '664');
    await sh(`chmod a-x,a+X ${T}/f`);
    assert.equal(await mode(`${T}/f`), '664');
    await sh(`chmod -w ${T}/f`);
    assert.equal(await mode(`${T}/f`), '444', 'chmod passes an unknown -w through as the MODE (NEWTOY "<2?…")');
    await sh(`chmod -R 700 ${T}/d`);
    assert.equal(await mode(`${T}/d/e/g`), '700');
    // wfchmodat(): "chmod 'NAME' to %04o: strerror"
    const ro = await sh('chmod 777 /system/bin/sh');
    assert.deepEqual([ro.code, ro.stderr], [1, "chmod: chmod '/system/bin/sh' to 0777: Read-only file system\n"]);
    const bad = await sh(`chmod 9 ${T}/f`);
    assert.deepEqual([bad.code, bad.stderr], [1, "chmod: bad mode '9'\n"]);
    const missing = await sh(`chmod 600 ${T}/none`);
    assert.deepEqual([missing.code, missing.stderr], [1, `chmod: ${T}/none: No such file or directory\n`]);
  });
});

test('chown and chgrp as the shell user: Operation not permitted, except to itself', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`touch ${T}/f`);
    // toys/posix/chgrp.c: perror_msg("'%s' to '%s:%s'")
    const r = await sh(`chown root ${T}/f`);
    assert.deepEqual([r.code, r.stderr], [1, `chown: '${T}/f' to 'root:': Operation not permitted\n`]);
    const g = await sh(`chgrp system ${T}/f`);
    assert.deepEqual([g.code, g.stderr], [1, `chgrp: '${T}/f' to ':system': Operation not permitted\n`]);
    assert.equal((await sh(`chown shell:shell ${T}/f`)).code, 0);
    const bad = await sh(`chown nosuchuser ${T}/f`);
    assert.deepEqual([bad.code, bad.stderr], [1, "chown: bad user 'nosuchuser'\n"]);
  });
});

test('touch: creates, -c, -d, -t, -r, -a/-m', async () => {
  await withPhone(async (_d, sh) => {
    const times = async (p: string): Promise<string> => (await sh(`stat -c '%X %Y' ${p}`)).stdout.trim();
    assert.equal((await sh(`touch ${T}/new && ls ${T}`)).stdout, 'new\n');
    // touch.c: -c never creates
    assert.equal((await sh(`touch -c ${T}/absent; ls ${T}`)).stdout, 'new\n');
    // lib/xwrap.c xparsedate(): "YYYY-MM-DD hh:mm:ss", "@UNIXTIME", touch -t [[CC]YY]MMDDhhmm[.ss]
    await sh(`touch -d "2020-01-02 03:04:05" ${T}/new`);
    assert.equal(await times(`${T}/new`), '1577934245 1577934245');
    await sh(`touch -t 202101020304.05 ${T}/new`);
    assert.equal(await times(`${T}/new`), '1609556645 1609556645');
    await sh(`touch -d @1000 ${T}/ref && touch -r ${T}/ref ${T}/new`);
    assert.equal(await times(`${T}/new`), '1000 1000');
    await sh(`touch -m -d @2000 ${T}/new`);
    assert.equal(await times(`${T}/new`), '1000 2000');
    await sh(`touch -a -d @3000 ${T}/new`);
    assert.equal(await times(`${T}/new`), '3000 2000');
    const bad = await sh(`touch -d yesterday ${T}/new`);
    assert.deepEqual([bad.code, bad.stderr], [1, 'touch: bad date yesterday\n']);
    const ro = await sh('touch /system/x');
    assert.deepEqual([ro.code, ro.stderr], [1, "touch: '/system/x': Read-only file system\n"]);
  });
});

test('ln: symbolic and hard links, -f, existing targets', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && echo data > f`);
    assert.equal((await sh(`ln -s f ${T}/s && readlink ${T}/s && cat ${T}/s`)).stdout, 'f\ndata\n');
    assert.equal((await sh(`ln ${T}/f ${T}/h && stat -c %h ${T}/f`)).stdout, '2\n');
    // ln.c: "cannot create %s link from '%s' to '%s'"
    const dup = await sh(`ln -s f ${T}/s`);
    assert.deepEqual([dup.code, dup.stderr], [1, `ln: cannot create symbolic link from 'f' to '${T}/s': File exists\n`]);
    assert.equal((await sh(`ln -sf h ${T}/s && readlink ${T}/s`)).stdout, 'h\n');
    // into a folder: DIR/basename
    await sh(`mkdir ${T}/dir && ln -s /system/bin/sh ${T}/dir`);
    assert.equal((await sh(`readlink ${T}/dir/sh`)).stdout, '/system/bin/sh\n');
  });
});

test('cp: files, -r trees, -p keeps times and modes, errors as toybox prints them', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir -p src/sub && echo one > src/a && echo two > src/sub/b && chmod 600 src/a && touch -d @12345 src/a`);
    assert.equal((await sh(`cp ${T}/src/a ${T}/copy && cat ${T}/copy`)).stdout, 'one\n');
    // cp.c: a folder without -r: "Skipped dir"
    const skip = await sh(`cp ${T}/src ${T}/x`);
    assert.equal(skip.code, 1);
    assert.match(skip.stderr, /^cp: Skipped dir '\/data\/local\/tmp\/x'/);
    assert.equal((await sh(`cp -r ${T}/src ${T}/tree && find ${T}/tree | sort`)).stdout, `${T}/tree\n${T}/tree/a\n${T}/tree/sub\n${T}/tree/sub/b\n`);
    // -p: mode and mtime kept (cp.c _CP_mode, _CP_timestamps)
    assert.equal((await sh(`cp -p ${T}/src/a ${T}/kept && stat -c '%a %Y' ${T}/kept`)).stdout, '600 12345\n');
    // several sources into a folder
    await sh(`mkdir ${T}/into && cp ${T}/src/a ${T}/src/sub/b ${T}/into`);
    assert.equal((await sh(`ls ${T}/into`)).stdout, 'a\nb\n');
    // cp.c cp_main(): "bad '%s'" for a missing source, "'%s' not directory" for several into a file
    const miss = await sh(`cp ${T}/nope ${T}/y`);
    assert.deepEqual([miss.code, miss.stderr], [1, `cp: bad '${T}/nope': No such file or directory\n`]);
    const notdir = await sh(`cp ${T}/src/a ${T}/src/sub/b ${T}/copy`);
    assert.deepEqual([notdir.code, notdir.stderr], [1, `cp: '${T}/copy' not directory\n`]);
    const ro = await sh(`cp ${T}/src/a /system/a`);
    assert.deepEqual([ro.code, ro.stderr], [1, 'cp: /system/a: Read-only file system\n']);
    // -n does not clobber
    await sh(`echo other > ${T}/other && cp -n ${T}/other ${T}/copy`);
    assert.equal((await sh(`cat ${T}/copy`)).stdout, 'one\n');
  });
});

test('mv: renames, moves into folders, across mounts, errors', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && echo a > f && mkdir d`);
    assert.equal((await sh(`mv ${T}/f ${T}/g && ls ${T}`)).stdout, 'd\ng\n');
    assert.equal((await sh(`mv ${T}/g ${T}/d && ls ${T}/d`)).stdout, 'g\n');
    // /sdcard is another mount (FUSE): rename gives EXDEV and mv copies and deletes (cp.c)
    assert.equal((await sh(`mv ${T}/d/g /sdcard/g && cat /sdcard/g && ls ${T}/d`)).stdout, 'a\n');
    const miss = await sh(`mv ${T}/nope ${T}/x`);
    assert.deepEqual([miss.code, miss.stderr], [1, `mv: bad '${T}/nope': No such file or directory\n`]);
    const ro = await sh(`mv /sdcard/g /system/g`);
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /Read-only file system/);
  });
});

test('rm, rmdir, mkdir: flags, messages and exit statuses', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir -p a/b/c && touch a/b/c/f`);
    // rm.c: a folder without -r is "Is a directory"
    const dir = await sh(`rm ${T}/a`);
    assert.deepEqual([dir.code, dir.stderr], [1, `rm: ${T}/a: Is a directory\n`]);
    // rmdir.c: a non-empty folder
    const full = await sh(`rmdir ${T}/a/b/c`);
    assert.deepEqual([full.code, full.stderr], [1, `rmdir: ${T}/a/b/c: Directory not empty\n`]);
    assert.equal((await sh(`rm -rv ${T}/a/b/c`)).stdout, `rm '${T}/a/b/c/f'\nrmdir '${T}/a/b/c'\n`);
    assert.equal((await sh(`cd ${T} && rmdir -p a/b && ls ${T}`)).stdout, '');
    // -f: missing names are fine
    assert.equal((await sh(`rm -f ${T}/nope; echo $?`)).stdout, '0\n');
    const miss = await sh(`rm ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `rm: ${T}/nope: No such file or directory\n`]);
    const none = await sh('rm');
    assert.deepEqual([none.code, none.stderr], [1, 'rm: Needs 1 argument (see "rm --help")\n']);
    assert.equal((await sh('rm -rf /; echo $?')).stderr, 'rm: rm /. if you mean it\n');
    // mkdir.c: perror_msg("'%s'") — File exists without -p, fine with -p; -m sets the mode
    await sh(`mkdir ${T}/m`);
    const exists = await sh(`mkdir ${T}/m`);
    assert.deepEqual([exists.code, exists.stderr], [1, `mkdir: '${T}/m': File exists\n`]);
    assert.equal((await sh(`mkdir -p ${T}/m; echo $?`)).stdout, '0\n');
    assert.equal((await sh(`mkdir -m 700 ${T}/n && stat -c %a ${T}/n`)).stdout, '700\n');
    const ro = await sh('mkdir /system/x');
    assert.deepEqual([ro.code, ro.stderr], [1, "mkdir: '/system/x': Read-only file system\n"]);
    const denied = await sh('mkdir /data/x');
    assert.deepEqual([denied.code, denied.stderr], [1, "mkdir: '/data/x': Permission denied\n"]);
  });
});

test('readlink, realpath, basename, dirname', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir d && ln -s d l && touch d/f`);
    assert.equal((await sh(`readlink ${T}/l`)).stdout, 'd\n');
    // readlink without -f on a non-link: nothing, exit 1 (readlink.c: -q unless -v)
    const plain = await sh(`readlink ${T}/d`);
    assert.deepEqual([plain.code, plain.stdout, plain.stderr], [1, '', '']);
    assert.equal((await sh(`readlink -f ${T}/l/f`)).stdout, `${T}/d/f\n`);
    assert.equal((await sh(`cd ${T} && realpath l/../d/./f`)).stdout, `${T}/d/f\n`);
    assert.equal((await sh('readlink -f /sdcard')).stdout, '/storage/emulated/0\n');
    assert.equal((await sh(`readlink -m ${T}/l/x/y`)).stdout, `${T}/d/x/y\n`);
    const miss = await sh(`realpath ${T}/nope/x`);
    assert.deepEqual([miss.code, miss.stderr], [1, `realpath: ${T}/nope/x: No such file or directory\n`]);
    assert.equal((await sh(`realpath --relative-to=${T}/d ${T}/l/f`)).stdout, 'f\n');
    assert.equal((await sh('basename /a/b/c.txt .txt; basename /a/b/; basename -s .x -a p.x q.x; dirname /a/b/c; dirname c; dirname /')).stdout, 'c\nb\np\nq\n/a/b\n.\n/\n');
  });
});

test('find: tests, actions, depth, permission errors', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir -p w/x/y && echo a > w/a.txt && echo bb > w/x/b.txt && touch w/x/y/c.log && ln -s a.txt w/l`);
    // find.c: pre-order, paths as dirtree_path() joins them
    assert.equal((await sh(`cd ${T} && find w -name '*.txt'`)).stdout, 'w/a.txt\nw/x/b.txt\n');
    assert.equal((await sh(`cd ${T} && find w -type d`)).stdout, 'w\nw/x\nw/x/y\n');
    assert.equal((await sh(`cd ${T} && find w -type l`)).stdout, 'w/l\n');
    assert.equal((await sh(`cd ${T} && find w -maxdepth 1 -type f`)).stdout, 'w/a.txt\n');
    assert.equal((await sh(`cd ${T} && find w -mindepth 2 -name '*.*'`)).stdout, 'w/x/b.txt\nw/x/y/c.log\n');
    assert.equal((await sh(`cd ${T} && find w -name '*.txt' -o -name '*.log'`)).stdout, 'w/a.txt\nw/x/b.txt\nw/x/y/c.log\n');
    assert.equal((await sh(`cd ${T} && find w ! -type d -name '*.*' -size -1c`)).stdout, 'w/x/y/c.log\n');
    // -size N is N*512 bytes, exactly (no rounding up), "c" bytes (find.c compare_numsign + atolx suffixes)
    assert.equal((await sh(`cd ${T} && find w -size 3c`)).stdout, 'w/x/b.txt\n');
    assert.equal((await sh(`cd ${T} && find w -type f -size -1`)).stdout, 'w/a.txt\nw/x/b.txt\nw/x/y/c.log\n');
    assert.equal((await sh(`cd ${T} && find w -depth -type d`)).stdout, 'w/x/y\nw/x\nw\n');
    assert.equal((await sh(`cd ${T} && find w -type f -exec cat {} \\;`)).stdout, 'a\nbb\n');
    assert.equal((await sh(`cd ${T} && find w -name '*.txt' -exec echo {} +`)).stdout, 'w/a.txt w/x/b.txt\n');
    assert.equal((await sh(`cd ${T} && chmod 640 w/a.txt && find w -name a.txt -printf '%f %s %m %p\\n'`)).stdout, 'a.txt 2 640 w/a.txt\n');
    assert.equal((await sh(`cd ${T} && find w/x -name b.txt -delete; ls w/x`)).stdout, 'w/x/b.txt\ny\n');
    // an unreadable folder: "find: DIR: Permission denied", exit 1; a missing start: "find: 'X': No such…"
    const denied = await sh('find /data -name nothing');
    assert.deepEqual([denied.code, denied.stdout, denied.stderr], [1, '', 'find: /data: Permission denied\n']);
    const miss = await sh(`find ${T}/nope`);
    assert.deepEqual([miss.code, miss.stderr], [1, `find: '${T}/nope': No such file or directory\n`]);
    const bad = await sh(`find ${T} -bogus`);
    assert.deepEqual([bad.code, bad.stderr], [1, "find: bad arg '-bogus'\n"]);
  });
});

test('du and df: sizes, columns, the phone\'s mounts', async () => {
  await withPhone(async (_d, sh) => {
    await sh(`cd ${T} && mkdir -p u/v && dd if=/dev/zero of=u/f bs=1k count=10 status=none && dd if=/dev/zero of=u/v/g bs=1k count=1 status=none`);
    // du.c: "%llu\t%s" in 1 KiB units (st_blocks*512, rounded up), folders after their contents
    const [f, v, g, u] = (await sh(`cd ${T} && stat -c %b u/f u/v u/v/g u`)).stdout.split('\n').filter(Boolean).map((b) => Math.ceil(Number(b) / 2));
    assert.equal((await sh(`cd ${T} && du u`)).stdout, `${v + g}\tu/v\n${f + v + g + u}\tu\n`);
    assert.equal((await sh(`cd ${T} && du -s u`)).stdout, `${f + v + g + u}\tu\n`);
    assert.equal((await sh(`cd ${T} && du -a u`)).stdout, `${f}\tu/f\n${g}\tu/v/g\n${v + g}\tu/v\n${f + v + g + u}\tu\n`);
    assert.equal((await sh(`cd ${T} && du -sh u`)).stdout, `${f + v + g + u}K\tu\n`);
    assert.equal((await sh(`cd ${T} && du -c u/f u/v`)).stdout, `${f}\tu/f\n${v + g}\tu/v\n${f + v + g}\ttotal\n`);
    // -b: apparent bytes
    assert.equal((await sh(`cd ${T} && du -b u/f`)).stdout, '10240\tu/f\n');
    // df.c: header "Filesystem 1K-blocks Used Available Use% Mounted on", first column at least 14 wide
    const df = (await sh('df')).stdout.split('\n');
    assert.match(df[0], /^Filesystem +1K-blocks +Used +Available Use% Mounted on$/);
    assert.ok(df.some((l) => /^\/dev\/block\/dm-45 +\d+ +\d+ +\d+ +\d+% \/data$/.test(l)), df.join('\n'));
    assert.ok(df.some((l) => /^\/dev\/fuse +\d+ +\d+ +\d+ +\d+% \/storage\/emulated$/.test(l)));
    assert.ok(!df.some((l) => / \/proc$/.test(l)), 'df hides file systems without blocks unless -a');
    const h = (await sh(`df -h ${T}`)).stdout.split('\n');
    assert.match(h[0], /^Filesystem +Size +Used +Avail Use% Mounted on$/);
    assert.match(h[1], /^\/dev\/block\/dm-45 +\d+(\.\d)?G +\d+(\.\d)?G +\d+(\.\d)?G +\d+% \/data$/);
    const miss = await sh('df /nope');
    assert.deepEqual([miss.code, miss.stderr], [1, "df: '/nope': No such file or directory\n"]);
  });
});
