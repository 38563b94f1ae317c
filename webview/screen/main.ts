import './style.css';
import { connect, el } from '../shared/vscode';
import { toolbar, toolbarButton } from '../shared/components';
import { DROP_CHUNK, type FromScreenWebview, type InputEvent, type StreamState, type ToScreenWebview } from './protocol';
import { createSoftDecoder, type SoftDecoder } from './softDecoder';
import { mapKey, shortcutHelp, SHORTCUTS, type PanelAction } from './keymap';

const vscode = connect<FromScreenWebview>();
const app = document.getElementById('app') as HTMLElement;
const canvas = el('canvas', { id: 'screen', width: '360', height: '800', 'aria-label': 'The phone screen: click to tap, drag to swipe; type to send keys to the phone' });
const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
const overlay = el('div', { id: 'overlay', class: 'muted', role: 'status', 'aria-live': 'off' }, 'waiting for frames…');
const status = el('div', { id: 'status', class: 'muted', role: 'status' });
const transfers = el('div', { id: 'transfers', 'aria-live': 'polite' });
const kbdHint = el('div', { id: 'kbd-hint', class: 'muted' }, 'Click the screen to type on the phone');
/**
 * The keyboard target: a textarea (so IMEs compose into it) kept out of sight over the screen. It is focused
 * when the screen is clicked; what is typed into it goes to the phone and it is emptied again.
 */
const kbd = el('textarea', { id: 'kbd', 'aria-label': 'Keyboard input for the phone', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
const stage = el('div', { id: 'stage', title: shortcutHelp() }, canvas, kbd);
let device = { w: 720, h: 1600 };
let frames = 0;
const drawTimes: number[] = [];
const latencies: number[] = [];
let lastDrawAt = 0;
let streamState: StreamState = 'starting';
let streamReason = '';

function send(event: InputEvent): void {
  vscode.post({ type: 'input', event });
}

/** An icon-only toolbar button (a codicon) from the component layer, named for screen readers, its shortcut in the tooltip. */
function iconButton(id: string, icon: string, label: string, onClick: () => void): HTMLElementTagNameMap['vscode-toolbar-button'] {
  return toolbarButton(icon, label, () => onClick(), { id });
}
/** A new accessible name and tooltip (vscode-toolbar-button names its inner button from `label`). */
function relabel(b: HTMLElement, label: string): void {
  b.title = label;
  b.setAttribute('label', label);
}
const tip = (does: string) => SHORTCUTS.filter((s) => s.does === does).map((s) => s.label).join(' or ');

const rec = iconButton('record', 'record', 'Record', () => vscode.post({ type: 'record', on: !recording }));
let recording = false;
let copyReason = '';
const copyBtn = iconButton('copy-from-phone', 'copy', `Copy the phone's clipboard to the computer (${tip("Copy the phone's clipboard to the computer")})`, () => {
  // Unavailable: the click says why rather than doing nothing.
  if (copyReason) status.textContent = `Copying from the phone is not available: ${copyReason}`;
  else void action('copy');
});
const fullBtn = iconButton('fullscreen', 'screen-full', `Fullscreen (${tip('Fullscreen')})`, () => action('fullscreen'));
const tools = toolbar('Phone',
  iconButton('key-back', 'arrow-left', `Back (${tip('Back')}, Esc)`, () => send({ action: 'key', key: 'back' })),
  iconButton('key-home', 'circle-large-outline', `Home (${tip('Home')})`, () => send({ action: 'key', key: 'home' })),
  iconButton('key-recents', 'primitive-square', `Recent apps (${tip('Recent apps')})`, () => send({ action: 'key', key: 'recents' })),
  el('span', { class: 'sep', 'aria-hidden': 'true' }),
  iconButton('key-power', 'lock', `Power: screen on/off (${tip('Power')})`, () => send({ action: 'key', key: 'power' })),
  iconButton('key-volumeDown', 'remove', `Volume down (${tip('Volume down')})`, () => send({ action: 'key', key: 'volumeDown' })),
  iconButton('key-volumeUp', 'add', `Volume up (${tip('Volume up')})`, () => send({ action: 'key', key: 'volumeUp' })),
  el('span', { class: 'sep', 'aria-hidden': 'true' }),
  iconButton('rotate', 'refresh', `Rotate the phone a quarter turn (${tip('Rotate the phone')})`, () => action('rotate')),
  fullBtn,
  iconButton('paste-to-phone', 'clippy', `Paste the computer's clipboard on the phone (Ctrl+V on the screen, ${tip("Paste the computer's clipboard on the phone")})`, () => action('paste')),
  copyBtn,
  el('span', { class: 'sep', 'aria-hidden': 'true' }),
  iconButton('screenshot', 'device-camera', 'Screenshot', () => vscode.post({ type: 'screenshot' })),
  rec,
  el('span', { class: 'sep', 'aria-hidden': 'true' }),
  el('span', { id: 'keys-help', class: 'codicon codicon-keyboard', title: shortcutHelp(), 'aria-label': shortcutHelp(), role: 'img', tabindex: '0' }),
  overlay,
);
tools.id = 'phone-toolbar';
const dropNote = el('div', { id: 'drop-note', class: 'muted' }, 'Drop an .apk to install it, any other file to push it to the phone');
app.replaceChildren(tools, el('div', { id: 'wrap' }, stage), kbdHint, status, transfers, dropNote);

/** Canvas CSS pixels → device pixels (the frame may be scaled, the canvas scaled again by CSS). */
function toDevice(ev: { clientX: number; clientY: number }): { x: number; y: number } {
  const r = canvas.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) / r.width) * device.w, y: ((ev.clientY - r.top) / r.height) * device.h };
}

function focusKeyboard(): void {
  kbd.focus({ preventScroll: true });
}

let down: { x: number; y: number; t: number } | undefined;
canvas.addEventListener('pointerdown', (ev) => {
  down = { ...toDevice(ev), t: performance.now() };
  canvas.setPointerCapture(ev.pointerId);
});
canvas.addEventListener('pointerup', (ev) => {
  focusKeyboard();
  if (!down) return;
  const up = toDevice(ev);
  const ms = performance.now() - down.t;
  const dist = Math.hypot(up.x - down.x, up.y - down.y);
  if (dist < device.w * 0.02) send(ms > 500 ? { action: 'longpress', x: down.x, y: down.y } : { action: 'tap', x: down.x, y: down.y });
  else send({ action: 'swipe', x: down.x, y: down.y, x2: up.x, y2: up.y, ms: Math.max(100, ms) });
  down = undefined;
});
canvas.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  const p = toDevice(ev);
  const dy = Math.max(-device.h / 3, Math.min(device.h / 3, ev.deltaY * 2));
  send({ action: 'swipe', x: p.x, y: p.y, x2: p.x, y2: Math.max(0, Math.min(device.h - 1, p.y - dy)), ms: 150 });
}, { passive: false });

// ---- Keyboard: text is batched into `input text`, special keys are key events, Alt+… are shortcuts.
let pending = '';
let flushTimer: number | undefined;
function flushText(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (!pending) return;
  // The host's validator takes at most 1000 characters per message.
  for (let i = 0; i < pending.length; i += 1000) send({ action: 'text', text: pending.slice(i, i + 1000) });
  pending = '';
}
function queueText(t: string): void {
  if (!t) return;
  pending += t.replace(/\r?\n/g, '');
  clearTimeout(flushTimer);
  flushTimer = window.setTimeout(flushText, 40);
}

kbd.addEventListener('focus', () => { stage.classList.add('typing'); kbdHint.textContent = 'Typing goes to the phone (Shift+Tab leaves; hover the keyboard icon for shortcuts)'; });
kbd.addEventListener('blur', () => { flushText(); stage.classList.remove('typing'); kbdHint.textContent = 'Click the screen to type on the phone'; });
kbd.addEventListener('keydown', (e) => {
  if (e.key === 'Tab' && e.shiftKey) return; // the way out of the screen for keyboard users
  const r = mapKey(e);
  if (r.kind === 'keycode') {
    e.preventDefault();
    flushText();
    send({ action: 'keycode', code: r.code });
  } else if (r.kind === 'action') {
    e.preventDefault();
    flushText();
    action(r.action);
  }
  // 'text' arrives through the input event (after the IME, if any); 'ignore' is left to the browser.
});
kbd.addEventListener('input', (e) => {
  const ie = e as Event & { isComposing?: boolean };
  if (ie.isComposing) return; // composed text is sent once, at compositionend
  queueText(kbd.value);
  kbd.value = '';
});
kbd.addEventListener('compositionend', (e) => {
  queueText(e.data);
  kbd.value = '';
});
kbd.addEventListener('paste', (e) => {
  e.preventDefault();
  const text = e.clipboardData?.getData('text/plain') ?? '';
  flushText();
  if (text) vscode.post({ type: 'paste', text });
});

async function action(a: PanelAction): Promise<void> {
  if (a === 'rotate') vscode.post({ type: 'rotate' });
  else if (a === 'copy') vscode.post({ type: 'copy' });
  else if (a === 'fullscreen') await toggleFullscreen();
  else if (a === 'paste') {
    // The webview may read the clipboard only where the editor allows it; Ctrl+V on the screen always works.
    try {
      const text = await navigator.clipboard.readText();
      if (text) vscode.post({ type: 'paste', text });
    } catch {
      status.textContent = 'This webview may not read the clipboard: click the screen and press Ctrl+V instead';
    }
  }
}

// ---- Fullscreen: the screen element's own fullscreen where the webview allows it; else it fills the panel.
async function toggleFullscreen(): Promise<void> {
  if (document.fullscreenElement) {
    await document.exitFullscreen().catch(() => undefined);
    return;
  }
  if (document.body.classList.contains('filled')) {
    document.body.classList.remove('filled');
    fullBtn.setAttribute('icon', 'screen-full');
    return;
  }
  try {
    await stage.requestFullscreen();
  } catch {
    // VS Code's webview iframe does not allow fullscreen: fill the panel instead (Alt+F again leaves).
    document.body.classList.add('filled');
    fullBtn.setAttribute('icon', 'screen-normal');
    status.textContent = 'The editor does not let webviews go fullscreen: the screen fills the panel (Alt+F leaves; "View: Toggle Maximized Editor Group" gives it the window)';
  }
  focusKeyboard();
}
document.addEventListener('fullscreenchange', () => {
  stage.classList.toggle('fullscreen', !!document.fullscreenElement);
  focusKeyboard();
});

// ---- Drag and drop: files from the computer (bytes sent in chunks), files from the Explorer (URIs, Shift held).
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (!e.relatedTarget) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const dt = e.dataTransfer;
  if (!dt) return;
  const files = Array.from({ length: dt.files.length }, (_, i) => dt.files.item(i)).filter((f): f is File => !!f);
  if (files.length) {
    void sendFiles(files);
    return;
  }
  const uris = (dt.getData('application/vnd.code.uri-list') || dt.getData('text/uri-list')).split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  if (uris.length) vscode.post({ type: 'dropUris', uris: uris.slice(0, 20) });
  else status.textContent = 'Nothing to send in that drop (drop files from your computer, or from the Explorer with Shift held)';
});

async function sendFiles(files: File[]): Promise<void> {
  for (const f of files) {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const name = f.name.replace(/[\\/]/g, '_');
    vscode.post({ type: 'dropStart', id, name, size: f.size });
    for (let off = 0, i = 0; off < f.size; off += DROP_CHUNK, i++) {
      const data = new Uint8Array(await f.slice(off, off + DROP_CHUNK).arrayBuffer());
      vscode.post({ type: 'dropChunk', id, index: i, data });
    }
    vscode.post({ type: 'dropEnd', id });
  }
}

function showTransfer(m: Extract<ToScreenWebview, { type: 'transfer' }>): void {
  let row = transfers.querySelector<HTMLElement>(`[data-id="${CSS.escape(m.id)}"]`);
  if (!row) {
    row = el('div', { class: 'transfer', 'data-id': m.id });
    transfers.prepend(row);
    while (transfers.children.length > 5) transfers.lastElementChild?.remove();
  }
  const pct = m.total ? ` ${Math.round(((m.done ?? 0) / m.total) * 100)}%` : '';
  const icon = m.phase === 'done' ? 'pass' : m.phase === 'failed' ? 'error' : 'loading codicon-modifier-spin';
  row.dataset.phase = m.phase;
  row.replaceChildren(el('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }), ` ${m.name}: ${m.message ?? `${m.phase}${pct}`}`);
}

// ---- The overlay: measured frames only; says when the stream is paused or nothing new has come.
function updateOverlay(): void {
  const now = performance.now();
  while (drawTimes.length && drawTimes[0] < now - 2000) drawTimes.shift();
  const kind = mode === 'h264' ? (decoderKind === 'software' ? 'H.264 (software decoder)' : 'H.264 (WebCodecs)') : 'screencap';
  overlay.dataset.state = streamState;
  if (streamState === 'paused') overlay.textContent = `paused${streamReason ? ` (${streamReason})` : ''} · ${kind}`;
  else if (streamState === 'restarting') overlay.textContent = `restarting the stream${streamReason ? ` (${streamReason})` : ''} · ${kind}`;
  else if (streamState === 'ended') overlay.textContent = `stream ended${streamReason ? `: ${streamReason}` : ''}`;
  else if (!frames) overlay.textContent = `waiting for frames… · ${kind}`;
  else {
    const sorted = [...latencies].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const idle = (now - lastDrawAt) / 1000;
    const rate = idle > 3 ? `no new frame for ${Math.floor(idle)} s (a still screen sends none)` : `${(drawTimes.length / 2).toFixed(1)} fps`;
    overlay.textContent = `${rate} · ${kind} · stream→screen ${median} ms · ${device.w}×${device.h}`;
  }
}
setInterval(updateOverlay, 500);

function drawn(seq: number, sentAt: number): void {
  const now = Date.now();
  frames++;
  lastDrawAt = performance.now();
  drawTimes.push(lastDrawAt);
  const latency = Math.max(0, now - sentAt);
  latencies.push(latency);
  if (latencies.length > 30) latencies.shift();
  canvas.dataset.streamToScreen = String(latency);
  canvas.dataset.frames = String(frames);
  updateOverlay();
  vscode.post({ type: 'ack', seq, drawnAt: now });
}

let mode: 'jpeg' | 'h264' = 'jpeg';
let decoderKind: 'webcodecs' | 'software' = 'webcodecs';
let soft: SoftDecoder | undefined;
let softLoading: Promise<SoftDecoder> | undefined;
let decoder: VideoDecoder | undefined;
let configured = '';
let waitKey = false;
const sentAt = new Map<number, number>();

function h264Decoder(): VideoDecoder {
  decoder ??= new VideoDecoder({
    output: (frame) => {
      if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
        canvas.width = frame.displayWidth;
        canvas.height = frame.displayHeight;
      }
      ctx.drawImage(frame, 0, 0);
      const seq = frame.timestamp;
      frame.close();
      drawn(seq, sentAt.get(seq) ?? Date.now());
      sentAt.delete(seq);
    },
    error: (e) => {
      vscode.post({ type: 'h264Failed', reason: e.message });
      decoder = undefined;
      configured = '';
    },
  });
  return decoder;
}

window.addEventListener('message', async (e: MessageEvent<ToScreenWebview>) => {
  const m = e.data;
  if (m.type === 'config') {
    mode = m.mode;
    decoderKind = m.decoder ?? 'webcodecs';
    device = { w: m.deviceWidth, h: m.deviceHeight };
    // A new stream (first, or restarted at a new size after the phone turned): configure at its key frame.
    configured = '';
    if (soft) {
      soft = undefined;
      softLoading = undefined;
    }
    const limits = [m.maxSize ? `max size ${m.maxSize}` : 'full size', m.bitRate ? `${(m.bitRate / 1e6).toFixed(1)} Mbit/s` : ''].filter(Boolean).join(', ');
    status.textContent = `${m.title} · ${m.mode === 'h264' ? `H.264 stream (screenrecord), decoded with ${decoderKind === 'software' ? 'the software decoder (tinyh264, WebAssembly)' : 'WebCodecs'}` : 'screencap frames (JPEG)'}${limits ? ` · ${limits}` : ''}`;
  } else if (m.type === 'stream') {
    streamState = m.state;
    streamReason = m.reason ?? '';
    updateOverlay();
  } else if (m.type === 'clipboard') {
    copyReason = m.available ? '' : m.reason ?? 'no clipboard command';
    relabel(copyBtn, m.available ? `Copy the phone's clipboard to the computer (${tip("Copy the phone's clipboard to the computer")})` : `Copying from the phone is not available: ${copyReason}`);
    copyBtn.setAttribute('aria-disabled', String(!m.available));
    copyBtn.dataset.available = String(m.available);
  } else if (m.type === 'transfer') {
    showTransfer(m);
  } else if (m.type === 'h264' && decoderKind === 'software') {
    softLoading ??= createSoftDecoder((img) => {
      if (canvas.width !== img.width || canvas.height !== img.height) {
        canvas.width = img.width;
        canvas.height = img.height;
      }
      ctx.putImageData(img, 0, 0);
    });
    try {
      soft ??= await softLoading;
    } catch (err) {
      vscode.post({ type: 'h264Failed', reason: `software decoder: ${(err as Error).message}` });
      return;
    }
    // The software decoder keeps up or falls behind one frame at a time: each access unit is decoded
    // as it arrives (the host never sends more than its window ahead of the acks).
    soft.decode(m.data);
    drawn(m.seq, m.receivedAt);
  } else if (m.type === 'h264') {
    const d = h264Decoder();
    if (m.codec && configured !== m.codec) {
      if (!m.key) return;
      d.configure({ codec: m.codec, optimizeForLatency: true, codedWidth: m.width, codedHeight: m.height });
      configured = m.codec;
    }
    if (!configured) return;
    // Old frames are dropped, never queued: if the decoder is behind, skip everything until a key frame
    // (a delta frame cannot be decoded without the ones before it).
    if (d.decodeQueueSize > 6) waitKey = true;
    if (waitKey && !m.key) return;
    waitKey = false;
    sentAt.set(m.seq, m.receivedAt);
    d.decode(new EncodedVideoChunk({ type: m.key ? 'key' : 'delta', timestamp: m.seq, data: m.data }));
  } else if (m.type === 'status') status.textContent = m.message;
  else if (m.type === 'recording') {
    recording = m.on;
    relabel(rec, m.on ? 'Stop recording' : 'Record');
    rec.setAttribute('aria-pressed', String(m.on));
    rec.setAttribute('icon', m.on ? 'debug-stop' : 'record');
    if (m.file) status.textContent = `Saved ${m.file}`;
  }
  else if (m.type === 'frame') {
    device = { w: m.deviceWidth, h: m.deviceHeight };
    // Only the newest frame is ever drawn: the host sends the next one after this ack.
    const bitmap = await createImageBitmap(new Blob([m.data as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    if (canvas.width !== m.width || canvas.height !== m.height) {
      canvas.width = m.width;
      canvas.height = m.height;
    }
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    drawn(m.seq, m.capturedAt);
  }
});

/** WebCodecs H.264 where the webview has it (Chromium in a secure context); otherwise screencap frames. */
async function canDecodeH264(): Promise<boolean> {
  try {
    if (typeof VideoDecoder === 'undefined') return false;
    return !!(await VideoDecoder.isConfigSupported({ codec: 'avc1.42C01F' })).supported;
  } catch {
    return false;
  }
}
void canDecodeH264().then((h264) => vscode.post({ type: 'ready', h264 }));
