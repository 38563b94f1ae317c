/**
 * Guardrails around every action, applied by the tool whatever the model says: the app allow-list, consent
 * before sensitive actions, and marking screen text that reads like an instruction.
 */
import type { AgentAction, ResolvedAction } from './actions';
import type { ScreenUi, UiElement } from './elements';

export interface GuardOptions {
  /** Packages the agent may act on. Empty: any package (the run's metadata says so). */
  allowPackages: string[];
  /** Words that make an action need the user's consent (matched in the target's text, description, id). */
  consentWords: string[];
  /** Ask before typing into a password field. */
  consentForPasswords: boolean;
}

export const DEFAULT_CONSENT_WORDS = ['install', 'send', 'pay', 'delete', 'remove', 'purchase', 'buy', 'transfer', 'uninstall', 'factory reset'];

/** System navigation the agent may always touch: the status and navigation bars. */
const ALWAYS_ALLOWED = new Set(['com.android.systemui']);

export type GuardVerdict =
  | { kind: 'allow' }
  | { kind: 'refuse'; reason: string }
  | { kind: 'consent'; reason: string };

export function checkAction(action: AgentAction, resolved: ResolvedAction, ui: ScreenUi, opts: GuardOptions): GuardVerdict {
  if (opts.allowPackages.length) {
    const allowed = (p: string) => opts.allowPackages.includes(p) || ALWAYS_ALLOWED.has(p);
    if (action.type === 'open_app' && !allowed(action.package)) {
      return { kind: 'refuse', reason: `${action.package} is not in this run's allow-list (${opts.allowPackages.join(', ')})` };
    }
    const pkg = resolved.package;
    if (pkg && action.type !== 'open_app' && !allowed(pkg)) {
      return { kind: 'refuse', reason: `the action would touch ${pkg}, which is not in this run's allow-list (${opts.allowPackages.join(', ')}); use back, home or open_app with an allowed package` };
    }
  }
  const t = resolved.target;
  if (action.type === 'type' && opts.consentForPasswords && t?.password) {
    return { kind: 'consent', reason: `type into the password field${t.resourceId ? ` ${t.resourceId.replace(/^.*:id\//, '')}` : ''}` };
  }
  if ((action.type === 'tap' || action.type === 'long_press' || (action.type === 'type' && action.submit)) && t) {
    const word = sensitiveWord(t, opts.consentWords, ui);
    if (word) return { kind: 'consent', reason: `${action.type === 'type' ? 'submit' : 'tap'} "${label(t)}" (${word})` };
  }
  if (action.type === 'open_app' && /(vending|packageinstaller)/.test(action.package)) {
    return { kind: 'consent', reason: `open ${action.package} (installing apps)` };
  }
  return { kind: 'allow' };
}

function label(e: UiElement): string {
  return (e.text || e.contentDesc || e.resourceId.replace(/^.*:id\//, '') || e.className.replace(/^.*\./, '')).slice(0, 80);
}

function sensitiveWord(t: UiElement, words: string[], ui: ScreenUi): string | undefined {
  // The target's own words, and those of its children (a row whose label sits in a child TextView).
  const inside = ui.all.filter((e) => e.bounds[0] >= t.bounds[0] && e.bounds[1] >= t.bounds[1] && e.bounds[2] <= t.bounds[2] && e.bounds[3] <= t.bounds[3]);
  const hay = [t, ...inside].map((e) => `${e.text} ${e.contentDesc} ${e.resourceId.replace(/^.*:id\//, '').replace(/_/g, ' ')}`).join(' ').toLowerCase();
  return words.find((w) => new RegExp(`\\b${w.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i').test(hay));
}

/** Screen text that reads like an instruction to an AI or to the tool (prompt injection). */
const INJECTION = /\b(ignore (all |any |the )?(previous|prior|above|your) (instructions|task|rules)|disregard (the|your) (task|instructions)|you are (now )?an? (ai|assistant|agent)|(ai|llm) agent[s]?[:,]|system prompt|new instructions?:|assistant:|open_app|"type"\s*:|api[ _-]?key)/i;

export function looksLikeInjection(text: string): boolean {
  return INJECTION.test(text);
}
