import type { CommandTable } from './types';

export const PACKAGE_MANAGER: CommandTable = {};
