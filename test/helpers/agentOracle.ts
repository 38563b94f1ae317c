/**
 * A rule-following "model" for the scripted server: it reads the task and the numbered screen list the
 * agent sends, as a language model would, and answers in the agent's JSON format. It knows the virtual
 * phone's apps; it lets tests and demos drive the real loop to success without a real model.
 */
import { act, elementNumber, lastUserText, type ChatRequest } from './scriptedLlm';

export function oracle(req: ChatRequest): string {
  const text = lastUserText(req);
  const task = /^Task \(from the user\): (.*)$/m.exec(text)?.[1] ?? '';
  const app = /^Current app: (\S+);/m.exec(text)?.[1] ?? '';
  const done = /Done so far:\n([\s\S]*?)\nCurrent app:/.exec(text)?.[1] ?? "";
  const toggle = (title: string, on: boolean) => {
    if (app !== 'com.android.settings') return act({ type: 'open_app', package: 'com.android.settings' }, 'Settings has the toggle.');
    const n = elementNumber(req, new RegExp(`Switch desc="${title}".* ${on ? 'unchecked' : 'checked'}`));
    if (n) return act({ type: 'tap', element: n }, `${title} is ${on ? 'off' : 'on'}: tap its switch.`);
    return act({ type: 'finish', success: true, message: `${title} is ${on ? 'on' : 'off'}` }, 'Done.');
  };
  if (/bluetooth/i.test(task)) return toggle('Bluetooth', !/off/i.test(task));
  if (/wi-?fi/i.test(task)) return toggle('Wi-Fi', !/off/i.test(task));
  if (/dark theme/i.test(task)) return toggle('Dark theme', true);
  const note = /note that says:?\s*([^,]+?)(,| and save|$)/i.exec(task)?.[1];
  if (note) {
    if (app !== 'com.mobileai.notes') return act({ type: 'open_app', package: 'com.mobileai.notes' }, 'Notes is where notes are written.');
    if (elementNumber(req, new RegExp(`id=note_text.*|text=${JSON.stringify(note)}.*id=note_text`)) && new RegExp(`text=${JSON.stringify(note)}[^\\n]*id=note_text`).test(text)) {
      return act({ type: 'finish', success: true, message: `saved "${note}"` }, 'The note is in the list.');
    }
    if (/^\d+\. type /m.test(done)) return act({ type: 'tap', element: elementNumber(req, /id=save_button/) }, 'Save it.');
    return act({ type: 'type', text: note, element: elementNumber(req, /id=note_input/) }, 'Type the note.');
  }
  return act({ type: 'finish', success: false, message: 'I do not know how to do this task' }, 'Unknown task.');
}
