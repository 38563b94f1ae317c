import type { CommandTable } from './types';

export const ANDROID_COMMANDS: CommandTable = {};
