import type { Command, CommandTable } from './types';
import { ANDROID_COMMANDS } from './android';
import { LEGACY_COMMANDS } from './legacy';
import { TOYBOX } from './toybox';
import { PACKAGE_MANAGER } from './pm';
import { PROCESS_COMMANDS } from './proc';
import { NET_COMMANDS } from './net';

/**
 * Every command on the phone's PATH (/system/bin): toybox's, Android's tools, and the runners we ship.
 * Later tables win, so a specialised module can replace a simple version.
 */
export const COMMANDS: CommandTable = { ...LEGACY_COMMANDS, ...TOYBOX, ...ANDROID_COMMANDS, ...PACKAGE_MANAGER, ...PROCESS_COMMANDS, ...NET_COMMANDS };

export function findCommand(name: string): Command | undefined {
  const base = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
  if (name.includes('/') && !/^\/(system|vendor|apex)\/(x?bin)\//.test(name) && !name.startsWith('/system/bin/')) return undefined;
  return Object.prototype.hasOwnProperty.call(COMMANDS, base) ? COMMANDS[base] : undefined;
}
