import * as vscode from 'vscode';
import { errorMessage, type Logger } from '../core/util/log';

/** The "Mobile AI" output channel as the engine's Logger. */
export function createLog(): { channel: vscode.LogOutputChannel; log: Logger } {
  const channel = vscode.window.createOutputChannel('Mobile AI', { log: true });
  const log: Logger = {
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m, cause) => channel.error(cause === undefined ? m : `${m}: ${errorMessage(cause)}${cause instanceof Error && cause.stack ? `\n${cause.stack}` : ''}`),
  };
  return { channel, log };
}
