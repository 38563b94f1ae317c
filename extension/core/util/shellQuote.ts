/**
 * Quoting for the device's shell (mksh/toybox sh on Android, or the virtual phone).
 * Every argument sent to a device shell goes through here: strings are never concatenated raw.
 */
const SAFE = /^[A-Za-z0-9_\-+=.,:/@%^]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('Device shell arguments cannot contain NUL bytes');
  if (arg.length > 0 && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}
