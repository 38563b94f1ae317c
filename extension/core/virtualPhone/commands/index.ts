import type { Command, CommandTable } from './types';
import { ANDROID_COMMANDS } from './android';
import { TOYBOX } from './toybox';
import { PACKAGE_MANAGER } from './pm';
import { PROCESS_COMMANDS } from './proc';
import { NET_COMMANDS } from './net';
import { BENCHMARK_MODEL } from './benchmarkModel';
import { THERMAL_COMMANDS } from './thermal';
import { AWK_COMMANDS } from './awk';
import { APP_TOOL_COMMANDS } from './appTools';

/**
 * Every command on the phone's PATH (/system/bin): toybox's, Android's tools, and the runners we ship.
 * Later tables win, so a specialised module can replace a simple version.
 */
let table: CommandTable | undefined;
/** Built on first use: the command modules import this one (which, env, xargs), so nothing here runs at load. */
function commands(): CommandTable {
  table ??= { ...TOYBOX, ...ANDROID_COMMANDS, ...PACKAGE_MANAGER, ...PROCESS_COMMANDS, ...NET_COMMANDS, ...BENCHMARK_MODEL, ...THERMAL_COMMANDS, ...AWK_COMMANDS, ...APP_TOOL_COMMANDS };
  return table;
}

export const COMMANDS: CommandTable = new Proxy({} as CommandTable, {
  get: (_t, k) => (typeof k === 'string' ? commands()[k] : undefined),
  has: (_t, k) => typeof k === 'string' && Object.prototype.hasOwnProperty.call(commands(), k),
  ownKeys: () => Reflect.ownKeys(commands()),
  getOwnPropertyDescriptor: (_t, k) => Reflect.getOwnPropertyDescriptor(commands(), k),
});

export function findCommand(name: string): Command | undefined {
  const base = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
  if (name.includes('/') && !/^\/(system|vendor|apex)\/(x?bin)\//.test(name) && !name.startsWith('/system/bin/')) return undefined;
  const all = commands();
  return Object.prototype.hasOwnProperty.call(all, base) ? all[base] : undefined;
}
