import type { VirtualDevice } from '../device';
import type { PhoneState } from '../phone';
import type { Sandbox } from '../sandbox';
import type { Io } from '../os/io';

export type { Io } from '../os/io';

/** What a command sees of the phone and of the shell that started it. */
export interface CommandContext {
  device: VirtualDevice;
  phone: PhoneState;
  fs: Sandbox;
  /** The shell's current folder (a device path). */
  cwd: string;
  /** Exported environment variables. */
  env: Record<string, string>;
  /** This command's process id, and its parent (the shell's). */
  pid: number;
  ppid: number;
  uid: number;
  /** Aborted when this command must stop (killed, its reader gone, the host hung up). */
  signal?: import('../os/io').AbortLike;
  /** Runs a command line in a child shell (as `sh -c LINE`) with the given io. */
  sh(line: string, io: Io, args?: string[]): Promise<number>;
}

/** A command the phone's shell can run: resolves to its exit status (0-255). */
export type Command = (argv: string[], io: Io, ctx: CommandContext) => Promise<number> | number;

export type CommandTable = Record<string, Command>;

/** errno text as bionic prints it. */
export function errnoText(e: unknown): string {
  const code = (e as { code?: string })?.code;
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': case 'EPERM': return code === 'EPERM' ? 'Operation not permitted' : 'Permission denied';
    case 'EROFS': return 'Read-only file system';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    case 'ENOTEMPTY': return 'Directory not empty';
    case 'EEXIST': return 'File exists';
    case 'ELOOP': return 'Too many symbolic links encountered';
    case 'EINVAL': return 'Invalid argument';
    case 'EXDEV': return 'Cross-device link';
    case 'ENOSPC': return 'No space left on device';
    case 'EBUSY': return 'Device or resource busy';
    default: return e instanceof Error ? e.message : String(e);
  }
}
