import './style.css';
import { connect, el } from '../shared/vscode';
import type { FromScreenWebview, InputEvent, ToScreenWebview } from './protocol';
import { createSoftDecoder, type SoftDecoder } from './softDecoder';

const vscode = connect<FromScreenWebview>();
const app = document.getElementById('app') as HTMLElement;
const canvas = el('canvas', { id: 'screen', width: '360', height: '800' });
const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
const overlay = el('div', { id: 'overlay', class: 'muted' }, 'waiting for frames…');
const status = el('div', { id: 'status', class: 'muted' });
let device = { w: 720, h: 1600 };
let frames = 0;
const drawTimes: number[] = [];
let lastLatency = 0;

const keys = el('div', { class: 'keys' });
for (const [key, label] of [['back', '◀ Back'], ['home', '● Home'], ['recents', '■ Recents'], ['power', 'Power'], ['volumeUp', 'Vol +'], ['volumeDown', 'Vol −']] as const) {
  const b = el('button', { class: 'secondary', id: `key-${key}` }, label);
  b.addEventListener('click', () => send({ action: 'key', key }));
  keys.append(b);
}
const text = el('input', { id: 'text-input', placeholder: 'type text, Enter sends' });
text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && text.value) {
    send({ action: 'text', text: text.value });
    text.value = '';
  }
});
const shot = el('button', { id: 'screenshot' }, 'Screenshot');
shot.addEventListener('click', () => vscode.post({ type: 'screenshot' }));
const rec = el('button', { id: 'record', class: 'secondary' }, '● Record');
let recording = false;
rec.addEventListener('click', () => vscode.post({ type: 'record', on: !recording }));
keys.append(text, shot, rec);
app.replaceChildren(el('div', { class: 'toolbar' }, overlay), el('div', { id: 'wrap' }, canvas, keys), status);

function send(event: InputEvent): void {
  vscode.post({ type: 'input', event });
}

/** Canvas CSS pixels → device pixels (the frame may be scaled, the canvas scaled again by CSS). */
function toDevice(ev: PointerEvent): { x: number; y: number } {
  const r = canvas.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) / r.width) * device.w, y: ((ev.clientY - r.top) / r.height) * device.h };
}

let down: { x: number; y: number; t: number } | undefined;
canvas.addEventListener('pointerdown', (ev) => {
  down = { ...toDevice(ev), t: performance.now() };
  canvas.setPointerCapture(ev.pointerId);
});
canvas.addEventListener('pointerup', (ev) => {
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
  const p = toDevice(ev as unknown as PointerEvent);
  const dy = Math.max(-device.h / 3, Math.min(device.h / 3, ev.deltaY * 2));
  send({ action: 'swipe', x: p.x, y: p.y, x2: p.x, y2: Math.max(0, Math.min(device.h - 1, p.y - dy)), ms: 150 });
}, { passive: false });

function drawn(seq: number, sentAt: number): void {
  const now = Date.now();
  frames++;
  drawTimes.push(performance.now());
  while (drawTimes.length && drawTimes[0] < performance.now() - 2000) drawTimes.shift();
  lastLatency = now - sentAt;
  canvas.dataset.streamToScreen = String(lastLatency);
  canvas.dataset.frames = String(frames);
  overlay.textContent = `${(drawTimes.length / 2).toFixed(1)} fps · ${mode === 'h264' ? (decoderKind === 'software' ? 'H.264 (software decoder)' : 'H.264 (WebCodecs)') : 'screencap'} · stream→screen ${lastLatency} ms · ${device.w}×${device.h}`;
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
    status.textContent = `${m.title} · ${m.mode === 'h264' ? `H.264 stream (screenrecord), decoded with ${decoderKind === 'software' ? 'the software decoder (tinyh264, WebAssembly)' : 'WebCodecs'}` : 'screencap frames (JPEG)'}`;
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
    rec.textContent = m.on ? '■ Stop recording' : '● Record';
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
