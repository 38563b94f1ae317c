/** The Device Files engine on top of AdbService (adbkit's connection to the adb server). */
import type { AdbService } from '../adb/adbService';
import type { DeviceFilesBackend } from './deviceFiles';

/** `adb` is asked for on every call: the editor replaces its AdbService when the adb settings change. */
export function adbFilesBackend(adbOf: () => AdbService): DeviceFilesBackend {
  return {
    openSync: async (serial) => {
      const conn = await adbOf().openService(serial, 'sync:');
      return {
        write: (data) => void conn.write(data),
        read: async (n) => (n === 0 ? Buffer.alloc(0) : ((await conn.parser.readBytes(n)) as Buffer)),
        end: () => void conn.end(),
      };
    },
    exec: (serial, argv, opts) => adbOf().exec(serial, argv, opts),
    pull: (serial, remote, local, opts) => adbOf().pull(serial, remote, local, opts),
    push: (serial, local, remote, opts) => adbOf().push(serial, local, remote, opts),
  };
}
