import type { Command } from 'commander';
import type { AdbService } from '../core/adb/adbService';

/** `mobileai table check`: predicted against measured latency of exported networks (filled in with the kernel predictor). */
export function addTableCheckCommands(program: Command, adb: () => AdbService): void {
  void program;
  void adb;
}
