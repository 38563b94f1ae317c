import type { VirtualDevice } from '../device';

/** The text of a /proc file, or undefined when there is no such file. */
export function procFile(device: VirtualDevice, abs: string): string | undefined {
  void device;
  void abs;
  return undefined;
}
