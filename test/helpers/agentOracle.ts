/** The demo endpoint's rules as a script for the scripted server (which also records requests for tests). */
import { demoPolicy } from '../../extension/core/agent/demoEndpoint';
import type { ChatRequest } from './scriptedLlm';

export function oracle(req: ChatRequest): string {
  return demoPolicy(req.messages);
}
