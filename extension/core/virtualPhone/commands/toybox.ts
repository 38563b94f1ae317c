import type { CommandTable } from './types';

export const TOYBOX: CommandTable = {};
