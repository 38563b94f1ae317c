import type { CommandTable } from './types';
import { STREAM_COMMANDS } from './toybox/streams';
import { FILEOP_COMMANDS } from './toybox/fileops';
import { LISTING_COMMANDS } from './toybox/listing';
import { TEXT_COMMANDS } from './toybox/text';
import { GREP_COMMANDS } from './toybox/grep';
import { PRINTF_COMMANDS } from './toybox/printf';
import { SED_COMMANDS } from './toybox/sed';
import { SYSTEM_COMMANDS } from './toybox/system';
import { EXTRA_COMMANDS } from './toybox/extras';
import { DIFF_COMMANDS } from './toybox/diff';
import { MORE_COMMANDS } from './toybox/more';

/**
 * toybox's commands as Android 14 ships them (the ones tools and scripts call), each behaving and printing
 * as toybox 0.8.9 does: files (cat dd stat ls cp mv rm mkdir chmod ln touch find du df …), text (grep sed
 * sort cut tr head tail wc uniq printf seq …) and the system (date id which env xargs uname …).
 */
export const TOYBOX: CommandTable = {
  ...STREAM_COMMANDS,
  ...FILEOP_COMMANDS,
  ...LISTING_COMMANDS,
  ...TEXT_COMMANDS,
  ...GREP_COMMANDS,
  ...PRINTF_COMMANDS,
  ...SED_COMMANDS,
  ...SYSTEM_COMMANDS,
  ...EXTRA_COMMANDS,
  ...DIFF_COMMANDS,
  ...MORE_COMMANDS,
};
