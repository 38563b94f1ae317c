/** Messages between the agent trace viewer and its host. Both sides import this file. */
import type { AgentStep, RunMeta } from '../../extension/core/agent/trace';
import { hasType, isObject } from '../shared/messages';

/** A step as the viewer gets it: the trace's step plus a webview URI for its screenshot. */
export type ViewerStep = AgentStep & { screenshotUri?: string };

export type ToAgentWebview =
  | { type: 'trace'; meta: RunMeta; steps: ViewerStep[]; live: boolean; skipped: number[] }
  | { type: 'step'; step: ViewerStep }
  | { type: 'phase'; step: number; phase: 'observe' | 'think' | 'act' }
  | { type: 'meta'; meta: RunMeta; live: boolean };

export type FromAgentWebview =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'showScreen' }
  | { type: 'export' }
  | { type: 'replay' };

export function isFromAgentWebview(m: unknown): m is FromAgentWebview {
  if (!isObject(m) || Object.keys(m).length !== 1) return false;
  return hasType(m, 'ready') || hasType(m, 'stop') || hasType(m, 'showScreen') || hasType(m, 'export') || hasType(m, 'replay');
}
