import type { Command } from 'commander';
import type { AdbService } from '../core/adb/adbService';

/** `mobileai llm explore`: decoder shapes timed on a phone or the host (filled in by the SLM shape explorer). */
export function addLlmShapeCommands(program: Command, adb: () => AdbService): void {
  void program;
  void adb;
}
