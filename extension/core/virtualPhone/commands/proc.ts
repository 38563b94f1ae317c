import type { CommandTable } from './types';

export const PROCESS_COMMANDS: CommandTable = {};
