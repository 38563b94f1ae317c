import type { CommandTable } from './types';

export const NET_COMMANDS: CommandTable = {};
