/**
 * Reading `ls -l` lines as toybox prints them (toys/posix/ls.c): MODE LINKS OWNER GROUP SIZE DATE TIME NAME,
 * with `MAJOR, MINOR` instead of SIZE for devices, `NAME -> TARGET` for symlinks, and the date as
 * `%Y-%m-%d %H:%M` (toybox's default on Android). Used where the sync protocol has no answer: link targets,
 * and folders LIST cannot open. And the shell's error lines (`ls: /data: Permission denied`).
 */

export interface LsLong {
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** `2024-01-31 13:05` as printed. */
  date: string;
  name: string;
  linkTarget?: string;
}

const LONG = /^([-dlcbps?][-rwxsStT]{9})[.+@]?\s+\d+\s+(\S+)\s+(\S+)\s+(?:(\d+)|\d+,\s*\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d|\w{3}\s+\d+\s+[\d:]+)\s(.*)$/;

export function parseLsLong(line: string): LsLong | undefined {
  const m = LONG.exec(line);
  if (!m) return undefined;
  const rest = m[6];
  const isLink = m[1].startsWith('l');
  const arrow = isLink ? rest.indexOf(' -> ') : -1;
  return {
    mode: m[1], owner: m[2], group: m[3], size: m[4] === undefined ? 0 : Number(m[4]), date: m[5],
    name: arrow >= 0 ? rest.slice(0, arrow) : rest,
    ...(arrow >= 0 ? { linkTarget: rest.slice(arrow + 4) } : {}),
  };
}

export type FileErrorCode = 'EACCES' | 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EROFS' | 'EEXIST' | 'ENOTEMPTY' | 'ENOSPC' | 'EFBIG' | 'EINVAL' | 'EIO';

/** Maps bionic's strerror text (as the phone's tools print it) to an errno name. */
export function errnoFromText(text: string): FileErrorCode {
  if (/Permission denied|Operation not permitted/i.test(text)) return 'EACCES';
  if (/No such file or directory|does not exist/i.test(text)) return 'ENOENT';
  if (/Not a directory/i.test(text)) return 'ENOTDIR';
  if (/Is a directory/i.test(text)) return 'EISDIR';
  if (/Read-only file system/i.test(text)) return 'EROFS';
  if (/File exists/i.test(text)) return 'EEXIST';
  if (/Directory not empty/i.test(text)) return 'ENOTEMPTY';
  if (/No space left/i.test(text)) return 'ENOSPC';
  return 'EIO';
}
