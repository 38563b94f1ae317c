import { type Bounds, type UiNode, hitTest, toSvg, toUiAutomatorXml } from './ui';

/** What a virtual phone claims to be. Every field can be overridden from the CLI or settings. */
export interface PhoneProfile {
  manufacturer: string;
  model: string;
  device: string;
  brand: string;
  release: string;
  sdk: number;
  abis: string[];
  socManufacturer: string;
  socModel: string;
  boardPlatform: string;
  hardware: string;
  width: number;
  height: number;
  density: number;
  ramKb: number;
  /** Extra or overriding system properties. */
  props: Record<string, string>;
}

export const DEFAULT_PROFILE: PhoneProfile = {
  manufacturer: 'Mobile AI Studio',
  model: 'Virtual Phone',
  device: 'vphone',
  brand: 'mobileai',
  release: '14',
  sdk: 34,
  abis: ['x86_64', 'arm64-v8a'],
  socManufacturer: 'Mobile AI Studio',
  socModel: 'Virtual SoC (host CPU)',
  boardPlatform: 'vphone',
  hardware: 'vphone',
  width: 720,
  height: 1600,
  density: 320,
  ramKb: 8 * 1024 * 1024,
  props: {},
};

export interface InstalledApp {
  pkg: string;
  label: string;
  activity: string;
  apkPath?: string;
  system: boolean;
  /** Has a MAIN/LAUNCHER activity, so the launcher shows it (default true). */
  launchable?: boolean;
}

export const SETTINGS_PKG = 'com.android.settings';
export const NOTES_PKG = 'com.mobileai.notes';
export const LAUNCHER_PKG = 'com.android.launcher3';
export const STOPWATCH_PKG = 'com.mobileai.stopwatch';
export const WALLET_PKG = 'com.mobileai.wallet';
export const SYSTEMUI_PKG = 'com.android.systemui';

/** Android key codes the phone reacts to (names as `input keyevent` accepts them). */
export const KEYCODES: Record<string, number> = {
  HOME: 3, BACK: 4, CALL: 5, ENDCALL: 6, DPAD_UP: 19, DPAD_DOWN: 20, DPAD_LEFT: 21, DPAD_RIGHT: 22, VOLUME_UP: 24, VOLUME_DOWN: 25,
  POWER: 26, CAMERA: 27, TAB: 61, SPACE: 62, ENTER: 66, DEL: 67, MENU: 82, SEARCH: 84, MEDIA_PLAY_PAUSE: 85, MOVE_HOME: 122, MOVE_END: 123,
  FORWARD_DEL: 112, ESCAPE: 111, APP_SWITCH: 187, WAKEUP: 224, SLEEP: 223, VOLUME_MUTE: 164,
};

/**
 * What happens on the phone, for the rest of the system to react to (processes, logcat): an app brought to
 * the front, force-stopped, input reaching the screen, an app's own doings, and any change of state.
 */
export type PhoneEvent =
  | { type: 'launch'; pkg: string; activity: string }
  | { type: 'forceStop'; pkg: string }
  | { type: 'input'; kind: 'touch' | 'key'; code?: number }
  | { type: 'app'; pkg: string; level: 'V' | 'D' | 'I' | 'W' | 'E'; tag: string; msg: string }
  | { type: 'changed' };

interface Toggle { key: string; title: string; summaryOn: string; summaryOff: string }
const TOGGLES: Toggle[] = [
  { key: 'wifi', title: 'Wi-Fi', summaryOn: 'Connected to VirtualNet', summaryOff: 'Off' },
  { key: 'bluetooth', title: 'Bluetooth', summaryOn: 'On', summaryOff: 'Off' },
  { key: 'airplane', title: 'Airplane mode', summaryOn: 'On', summaryOff: 'Off' },
  { key: 'dark', title: 'Dark theme', summaryOn: 'On', summaryOff: 'Off' },
  { key: 'location', title: 'Use location', summaryOn: 'On', summaryOff: 'Off' },
  { key: 'dnd', title: 'Do Not Disturb', summaryOn: 'On', summaryOff: 'Off' },
];

/**
 * The phone's state: which app is in front, each app's state, and the view tree for the current screen.
 * Input mutates state; every screenshot and dump is rebuilt from it, so they always agree.
 */
export class PhoneState {
  foreground = LAUNCHER_PKG;
  settingsPage: 'main' | 'about' = 'main';
  toggles: Record<string, boolean> = { wifi: true, bluetooth: false, airplane: false, dark: false, location: true, dnd: false };
  noteDraft = '';
  notes: string[] = [];
  notesScroll = 0;
  focusedField: string | undefined;
  screenOn = true;
  volume = 7;
  battery = { level: 85, status: 2, plugged: 2, temperature: 290, voltage: 4210 };
  readonly apps: InstalledApp[] = [
    { pkg: LAUNCHER_PKG, label: 'Launcher', activity: '.Launcher', system: true },
    { pkg: SYSTEMUI_PKG, label: 'System UI', activity: '.SystemUI', system: true },
    { pkg: SETTINGS_PKG, label: 'Settings', activity: '.Settings', system: true },
    { pkg: NOTES_PKG, label: 'Notes', activity: '.MainActivity', system: false },
    { pkg: STOPWATCH_PKG, label: 'Stopwatch', activity: '.MainActivity', system: false },
    { pkg: WALLET_PKG, label: 'Wallet', activity: '.MainActivity', system: false },
  ];
  /** The Wallet app: a password field and a payment that only goes through with the right password. */
  walletPassword = '';
  walletPayments: string[] = [];
  walletMessage = '';
  /** Display rotation in quarter turns (Surface.ROTATION_0..270), as `settings put system user_rotation N` sets it. */
  rotation: 0 | 1 | 2 | 3 = 0;
  /** When the stopwatch started (ms since epoch), while it runs: its screen changes on every frame. */
  stopwatchStart: number | undefined;
  stopwatchElapsed = 0;
  /** Increments on every change; renderers cache on it. */
  version = 0;
  private back: string[] = [];
  private readonly s: number;
  /** Set by the device: told of launches, force-stops, input and the apps' own events. */
  onEvent: ((e: PhoneEvent) => void) | undefined;

  constructor(readonly profile: PhoneProfile) {
    this.s = profile.density / 160;
  }

  private emit(e: PhoneEvent): void {
    try { this.onEvent?.(e); } catch { /* the phone's state never depends on who listens */ }
  }

  private changed(): void {
    this.version++;
    this.emit({ type: 'changed' });
  }

  /** The display's size as apps see it (width and height swap in landscape). */
  get logicalSize(): [number, number] {
    const { width, height } = this.profile;
    return this.rotation % 2 ? [height, width] : [width, height];
  }

  setRotation(r: number): boolean {
    if (![0, 1, 2, 3].includes(r)) return false;
    if (r !== this.rotation) {
      this.rotation = r as 0 | 1 | 2 | 3;
      this.changed();
    }
    return true;
  }

  /**
   * What a rendered frame depends on: the state version, and while the stopwatch runs on screen, the time
   * in hundredths of a second (so the screen keeps changing, like any animation).
   */
  frameKey(): string {
    const animating = this.screenOn && this.foreground === STOPWATCH_PKG && this.stopwatchStart !== undefined;
    return animating ? `${this.version}@${Math.floor(Date.now() / 10)}` : String(this.version);
  }

  private dp(v: number): number {
    return Math.round(v * this.s);
  }

  get dark(): boolean {
    return !!this.toggles.dark;
  }

  currentActivity(): string {
    const app = this.apps.find((a) => a.pkg === this.foreground);
    return `${this.foreground}/${app?.activity ?? '.MainActivity'}`;
  }

  launch(pkg: string): boolean {
    const app = this.apps.find((a) => a.pkg === pkg);
    if (!app) return false;
    if (pkg !== this.foreground) {
      if (this.foreground !== LAUNCHER_PKG) this.back.push(this.foreground);
      this.foreground = pkg;
    }
    this.focusedField = undefined;
    this.screenOn = true;
    this.emit({ type: 'launch', pkg, activity: app.activity });
    this.changed();
    return true;
  }

  /** `pm clear`: the app's data is gone (notes, payments, the stopwatch), as after a fresh install. */
  clearData(pkg: string): boolean {
    if (!this.apps.some((a) => a.pkg === pkg)) return false;
    if (pkg === NOTES_PKG) { this.notes = []; this.notesScroll = 0; }
    if (pkg === WALLET_PKG) this.walletPayments = [];
    if (pkg === STOPWATCH_PKG) { this.stopwatchStart = undefined; this.stopwatchElapsed = 0; }
    this.forceStop(pkg);
    return true;
  }

  forceStop(pkg: string): void {
    this.emit({ type: 'forceStop', pkg });
    if (this.foreground === pkg) this.goHome();
    if (pkg === NOTES_PKG) this.noteDraft = '';
    if (pkg === WALLET_PKG) { this.walletPassword = ''; this.walletMessage = ''; }
    if (pkg === SETTINGS_PKG) this.settingsPage = 'main';
    this.changed();
  }

  goHome(): void {
    this.foreground = LAUNCHER_PKG;
    this.back = [];
    this.focusedField = undefined;
    this.changed();
  }

  goBack(): void {
    if (this.focusedField) {
      this.focusedField = undefined; // the first back closes the keyboard
    } else if (this.foreground === SETTINGS_PKG && this.settingsPage !== 'main') {
      this.settingsPage = 'main';
    } else if (this.foreground !== LAUNCHER_PKG) {
      this.foreground = this.back.pop() ?? LAUNCHER_PKG;
    }
    this.changed();
  }

  key(code: number): void {
    this.emit({ type: 'input', kind: 'key', code });
    switch (code) {
      case KEYCODES.HOME: this.goHome(); break;
      case KEYCODES.BACK: case KEYCODES.ESCAPE: this.goBack(); break;
      case KEYCODES.APP_SWITCH: this.goHome(); break;
      case KEYCODES.POWER: this.screenOn = !this.screenOn; this.changed(); break;
      case KEYCODES.SLEEP: this.screenOn = false; this.changed(); break;
      case KEYCODES.WAKEUP: this.screenOn = true; this.changed(); break;
      case KEYCODES.VOLUME_UP: this.volume = Math.min(15, this.volume + 1); this.changed(); break;
      case KEYCODES.VOLUME_DOWN: this.volume = Math.max(0, this.volume - 1); this.changed(); break;
      case KEYCODES.DEL:
        if (this.focusedField === 'note') { this.noteDraft = this.noteDraft.slice(0, -1); this.changed(); }
        if (this.focusedField === 'wallet_password') { this.walletPassword = this.walletPassword.slice(0, -1); this.changed(); }
        break;
      case KEYCODES.ENTER:
        if (this.focusedField === 'note') this.saveNote();
        break;
      case KEYCODES.SPACE: this.typeText(' '); break;
      default: break;
    }
  }

  typeText(text: string): void {
    if (this.focusedField === 'note') {
      this.noteDraft += text;
      this.changed();
    } else if (this.focusedField === 'wallet_password') {
      this.walletPassword += text;
      this.changed();
    }
  }

  saveNote(): void {
    const text = this.noteDraft.trim();
    if (text) {
      this.notes.unshift(text);
      this.emit({ type: 'app', pkg: NOTES_PKG, level: 'D', tag: 'NotesRepository', msg: `Saved note ${this.notes.length} (${text.length} chars)` });
    }
    this.noteDraft = '';
    this.changed();
  }

  tap(x: number, y: number): void {
    if (!this.screenOn) return;
    this.emit({ type: 'input', kind: 'touch' });
    const hit = hitTest(this.tree(), x, y, 'onTap');
    hit?.onTap?.();
    if (!hit && this.focusedField) {
      this.focusedField = undefined;
      this.changed();
    }
  }

  longPress(x: number, y: number): void {
    if (!this.screenOn) return;
    this.emit({ type: 'input', kind: 'touch' });
    const hit = hitTest(this.tree(), x, y, 'onLongPress') ?? hitTest(this.tree(), x, y, 'onTap');
    (hit?.onLongPress ?? hit?.onTap)?.();
  }

  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): void {
    if (!this.screenOn) return;
    const dist = Math.hypot(x2 - x1, y2 - y1);
    if (dist < this.dp(8)) {
      if (durationMs >= 500) this.longPress(x1, y1);
      else this.tap(x1, y1);
      return;
    }
    const hit = hitTest(this.tree(), x1, y1, 'onScroll');
    hit?.onScroll?.(y1 - y2);
  }

  /* ---------------- screens ---------------- */

  tree(): UiNode {
    const [W, H] = this.logicalSize;
    const statusH = this.dp(24);
    const navH = this.dp(48);
    const content: Bounds = [0, statusH, W, H - navH];
    const root: UiNode = {
      cls: 'android.widget.FrameLayout', pkg: this.foreground, bounds: [0, 0, W, H],
      children: this.screenOn ? [this.appScreen(content), this.statusBar(W, statusH), this.navBar(W, H, navH)] : [],
    };
    if (!this.screenOn) root.look = { kind: 'fill', color: '#000000' };
    return root;
  }

  private fg(): string {
    return this.dark ? '#e8e8e8' : '#202124';
  }

  private sub(): string {
    return this.dark ? '#9aa0a6' : '#5f6368';
  }

  private statusBar(W: number, h: number): UiNode {
    const pad = this.dp(12);
    const icons = [this.toggles.airplane ? '✈' : this.toggles.wifi ? 'Wi-Fi' : '', this.toggles.bluetooth ? 'BT' : '', `${this.battery.level}%`].filter(Boolean).join('  ');
    return {
      cls: 'android.widget.FrameLayout', pkg: SYSTEMUI_PKG, resourceId: `${SYSTEMUI_PKG}:id/status_bar`, bounds: [0, 0, W, h],
      look: { kind: 'fill', color: this.dark ? '#000000' : '#e8eaed' },
      children: [
        { cls: 'android.widget.TextView', pkg: SYSTEMUI_PKG, resourceId: `${SYSTEMUI_PKG}:id/clock`, text: '12:00', bounds: [pad, 0, pad + this.dp(60), h], look: { kind: 'text', color: this.fg(), size: 12 } },
        { cls: 'android.widget.TextView', pkg: SYSTEMUI_PKG, resourceId: `${SYSTEMUI_PKG}:id/status_icons`, text: icons, contentDesc: `Battery ${this.battery.level} percent`, bounds: [W - pad - this.dp(140), 0, W - pad, h], look: { kind: 'text', color: this.fg(), size: 12, align: 'end' } },
      ],
    };
  }

  private navBar(W: number, H: number, h: number): UiNode {
    const third = W / 3;
    const btn = (i: number, glyph: 'back' | 'home' | 'recents', desc: string, action: () => void): UiNode => ({
      cls: 'android.widget.ImageView', pkg: SYSTEMUI_PKG, resourceId: `${SYSTEMUI_PKG}:id/${glyph}`, contentDesc: desc,
      bounds: [Math.round(i * third), H - h, Math.round((i + 1) * third), H], look: { kind: 'glyph', glyph }, onTap: action,
    });
    return {
      cls: 'android.widget.FrameLayout', pkg: SYSTEMUI_PKG, resourceId: `${SYSTEMUI_PKG}:id/navigation_bar_frame`, bounds: [0, H - h, W, H],
      look: { kind: 'fill', color: this.dark ? '#000000' : '#e8eaed' },
      children: [
        btn(0, 'back', 'Back', () => this.goBack()),
        btn(1, 'home', 'Home', () => this.goHome()),
        btn(2, 'recents', 'Overview', () => this.goHome()),
      ],
    };
  }

  private appScreen(b: Bounds): UiNode {
    switch (this.foreground) {
      case SETTINGS_PKG: return this.settingsScreen(b);
      case NOTES_PKG: return this.notesScreen(b);
      case LAUNCHER_PKG: return this.launcherScreen(b);
      case STOPWATCH_PKG: return this.stopwatchScreen(b);
      case WALLET_PKG: return this.walletScreen(b);
      default: return this.genericAppScreen(b);
    }
  }

  private toolbar(pkg: string, b: Bounds, title: string): UiNode {
    const h = this.dp(56);
    return {
      cls: 'android.widget.FrameLayout', pkg, resourceId: `${pkg}:id/toolbar`, bounds: [b[0], b[1], b[2], b[1] + h],
      look: { kind: 'fill', color: this.dark ? '#1f1f1f' : '#ffffff' },
      children: [{ cls: 'android.widget.TextView', pkg, text: title, bounds: [b[0] + this.dp(16), b[1], b[2] - this.dp(16), b[1] + h], look: { kind: 'text', color: this.fg(), size: 22 } }],
    };
  }

  private launcherScreen(b: Bounds): UiNode {
    const pkg = LAUNCHER_PKG;
    const cols = 4;
    const cellW = (b[2] - b[0]) / cols;
    const cellH = this.dp(96);
    const palette = ['#1a73e8', '#f9ab00', '#188038', '#d93025', '#9334e6', '#12b5cb'];
    const launchable = this.apps.filter((a) => a.pkg !== LAUNCHER_PKG && a.pkg !== SYSTEMUI_PKG && a.launchable !== false);
    const top = b[1] + this.dp(48);
    const icons: UiNode[] = launchable.map((app, i) => {
      const c = i % cols;
      const r = Math.floor(i / cols);
      const pad = this.dp(10);
      return {
        cls: 'android.widget.TextView', pkg, text: app.label, contentDesc: app.label,
        bounds: [Math.round(b[0] + c * cellW + pad), top + r * cellH, Math.round(b[0] + (c + 1) * cellW - pad), top + r * cellH + this.dp(84)],
        look: { kind: 'icon', color: palette[i % palette.length], letter: app.label.slice(0, 1).toUpperCase() },
        onTap: () => this.launch(app.pkg),
      };
    });
    return {
      cls: 'android.widget.FrameLayout', pkg, resourceId: `${pkg}:id/workspace`, bounds: b,
      look: { kind: 'fill', color: this.dark ? '#0b1a2b' : '#d2e3fc' },
      children: icons,
    };
  }

  private settingsScreen(b: Bounds): UiNode {
    const pkg = SETTINGS_PKG;
    const bar = this.toolbar(pkg, b, this.settingsPage === 'about' ? 'About phone' : 'Settings');
    const rowH = this.dp(72);
    const pad = this.dp(16);
    let y = bar.bounds[3];
    const rows: UiNode[] = [];
    if (this.settingsPage === 'about') {
      const p = this.profile;
      const items: Array<[string, string]> = [
        ['Device name', p.model], ['Model', `${p.manufacturer} ${p.model}`], ['Android version', p.release], ['Processor', p.socModel],
        ['Screen', `${p.width} × ${p.height}, ${p.density} dpi`],
      ];
      for (const [title, value] of items) {
        rows.push({
          cls: 'android.widget.LinearLayout', pkg, bounds: [b[0], y, b[2], y + rowH],
          children: [
            { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/title', text: title, bounds: [b[0] + pad, y + this.dp(10), b[2] - pad, y + this.dp(36)], look: { kind: 'text', color: this.fg(), size: 16 } },
            { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/summary', text: value, bounds: [b[0] + pad, y + this.dp(38), b[2] - pad, y + this.dp(62)], look: { kind: 'text', color: this.sub(), size: 14 } },
          ],
        });
        y += rowH;
      }
    } else {
      for (const t of TOGGLES) {
        const on = !!this.toggles[t.key];
        const toggle = () => {
          this.toggles[t.key] = !this.toggles[t.key];
          if (t.key === 'airplane' && this.toggles.airplane) { this.toggles.wifi = false; this.toggles.bluetooth = false; }
          this.changed();
        };
        const swW = this.dp(40);
        rows.push({
          cls: 'android.widget.LinearLayout', pkg, resourceId: `${pkg}:id/${t.key}_row`, bounds: [b[0], y, b[2], y + rowH], onTap: toggle,
          children: [
            { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/title', text: t.title, bounds: [b[0] + pad, y + this.dp(10), b[2] - swW - 2 * pad, y + this.dp(36)], look: { kind: 'text', color: this.fg(), size: 16 } },
            { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/summary', text: on ? t.summaryOn : t.summaryOff, bounds: [b[0] + pad, y + this.dp(38), b[2] - swW - 2 * pad, y + this.dp(62)], look: { kind: 'text', color: this.sub(), size: 14 } },
            { cls: 'android.widget.Switch', pkg, resourceId: 'android:id/switch_widget', contentDesc: t.title, checkable: true, checked: on, bounds: [b[2] - pad - swW, y + this.dp(16), b[2] - pad, y + rowH - this.dp(16)], look: { kind: 'switch' }, onTap: toggle },
          ],
        });
        y += rowH;
      }
      rows.push({
        cls: 'android.widget.LinearLayout', pkg, resourceId: `${pkg}:id/about_row`, bounds: [b[0], y, b[2], y + rowH],
        onTap: () => { this.settingsPage = 'about'; this.changed(); },
        children: [
          { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/title', text: 'About phone', bounds: [b[0] + pad, y + this.dp(10), b[2] - pad, y + this.dp(36)], look: { kind: 'text', color: this.fg(), size: 16 } },
          { cls: 'android.widget.TextView', pkg, resourceId: 'android:id/summary', text: this.profile.model, bounds: [b[0] + pad, y + this.dp(38), b[2] - pad, y + this.dp(62)], look: { kind: 'text', color: this.sub(), size: 14 } },
        ],
      });
    }
    return {
      cls: 'android.widget.FrameLayout', pkg, resourceId: 'android:id/content', bounds: b,
      children: [bar, { cls: 'androidx.recyclerview.widget.RecyclerView', pkg, resourceId: `${pkg}:id/recycler_view`, bounds: [b[0], bar.bounds[3], b[2], b[3]], children: rows }],
    };
  }

  private notesScreen(b: Bounds): UiNode {
    const pkg = NOTES_PKG;
    const bar = this.toolbar(pkg, b, 'Notes');
    const pad = this.dp(16);
    const top = bar.bounds[3] + this.dp(12);
    const fieldH = this.dp(52);
    const btnW = this.dp(80);
    const focused = this.focusedField === 'note';
    const input: UiNode = {
      cls: 'android.widget.EditText', pkg, resourceId: `${pkg}:id/note_input`, text: this.noteDraft, contentDesc: this.noteDraft ? '' : 'Write a note',
      focusable: true, focused, bounds: [b[0] + pad, top, b[2] - pad - btnW - this.dp(8), top + fieldH],
      look: { kind: 'edit', hint: 'Write a note' },
      onTap: () => { this.focusedField = 'note'; this.changed(); },
    };
    const save: UiNode = {
      cls: 'android.widget.Button', pkg, resourceId: `${pkg}:id/save_button`, text: 'Save',
      bounds: [b[2] - pad - btnW, top + this.dp(4), b[2] - pad, top + fieldH - this.dp(4)],
      look: { kind: 'button', color: '#1a73e8', textColor: '#ffffff' },
      onTap: () => this.saveNote(),
    };
    const listTop = top + fieldH + this.dp(12);
    const rowH = this.dp(56);
    const listBounds: Bounds = [b[0], listTop, b[2], b[3]];
    const maxScroll = Math.max(0, this.notes.length * rowH - (b[3] - listTop));
    this.notesScroll = Math.min(this.notesScroll, maxScroll);
    const rows: UiNode[] = [];
    this.notes.forEach((note, i) => {
      const y = listTop + i * rowH - this.notesScroll;
      if (y + rowH <= listTop || y >= b[3]) return;
      rows.push({
        cls: 'android.widget.LinearLayout', pkg, resourceId: `${pkg}:id/note_row`, bounds: [b[0], Math.max(y, listTop), b[2], Math.min(y + rowH, b[3])],
        look: { kind: 'fill', color: this.dark ? '#1f1f1f' : '#ffffff' },
        children: [
          { cls: 'android.widget.TextView', pkg, resourceId: `${pkg}:id/note_text`, text: note, bounds: [b[0] + pad, y, b[2] - this.dp(64), y + rowH], look: { kind: 'text', color: this.fg(), size: 16 } },
          { cls: 'android.widget.ImageButton', pkg, resourceId: `${pkg}:id/delete_button`, contentDesc: `Delete note: ${note}`, bounds: [b[2] - this.dp(56), y + this.dp(4), b[2] - this.dp(8), y + rowH - this.dp(4)], look: { kind: 'glyph', glyph: 'delete' }, onTap: () => { this.notes.splice(i, 1); this.emit({ type: 'app', pkg, level: 'D', tag: 'NotesRepository', msg: `Deleted note ${i + 1}` }); this.changed(); } },
        ],
      });
    });
    const list: UiNode = {
      cls: 'androidx.recyclerview.widget.RecyclerView', pkg, resourceId: `${pkg}:id/notes_list`, bounds: listBounds, children: rows,
      scrollable: maxScroll > 0,
      onScroll: maxScroll > 0 ? (dy) => { this.notesScroll = Math.max(0, Math.min(maxScroll, this.notesScroll + dy)); this.changed(); } : undefined,
    };
    if (!this.notes.length) {
      list.children = [{ cls: 'android.widget.TextView', pkg, resourceId: `${pkg}:id/empty`, text: 'No notes yet', bounds: [b[0], listTop, b[2], listTop + rowH], look: { kind: 'text', color: this.sub(), size: 16, align: 'middle' } }];
    }
    return { cls: 'android.widget.FrameLayout', pkg, resourceId: 'android:id/content', bounds: b, children: [bar, input, save, list] };
  }

  private walletScreen(b: Bounds): UiNode {
    const pkg = WALLET_PKG;
    const bar = this.toolbar(pkg, b, 'Wallet');
    const pad = this.dp(16);
    let y = bar.bounds[3] + this.dp(16);
    const row = (h: number) => {
      const r: Bounds = [b[0] + pad, y, b[2] - pad, y + this.dp(h)];
      y += this.dp(h + 12);
      return r;
    };
    const children: UiNode[] = [
      bar,
      { cls: 'android.widget.TextView', pkg, resourceId: `${pkg}:id/balance`, text: `Balance: $${(100 - 10 * this.walletPayments.length).toFixed(2)}`, bounds: row(40), look: { kind: 'text', color: this.fg(), size: 22 } },
      {
        cls: 'android.widget.EditText', pkg, resourceId: `${pkg}:id/password`, text: this.walletPassword, contentDesc: this.walletPassword ? '' : 'Password', password: true,
        focusable: true, focused: this.focusedField === 'wallet_password', bounds: row(52), look: { kind: 'edit', hint: 'Password' },
        onTap: () => { this.focusedField = 'wallet_password'; this.changed(); },
      },
      {
        cls: 'android.widget.Button', pkg, resourceId: `${pkg}:id/pay_button`, text: 'Pay $10 to Alex', clickable: true, bounds: row(52),
        look: { kind: 'button', color: '#188038', textColor: '#ffffff' },
        onTap: () => {
          if (this.walletPassword === '1234') {
            this.walletPayments.push('Alex $10');
            this.emit({ type: 'app', pkg, level: 'I', tag: 'WalletPayments', msg: 'Payment of $10.00 to Alex approved' });
            this.walletMessage = 'Paid $10 to Alex';
          } else {
            this.walletMessage = 'Wrong password';
            this.emit({ type: 'app', pkg, level: 'W', tag: 'WalletPayments', msg: 'Payment declined: wrong password' });
          }
          this.walletPassword = '';
          this.changed();
        },
      },
    ];
    if (this.walletMessage) children.push({ cls: 'android.widget.TextView', pkg, resourceId: `${pkg}:id/message`, text: this.walletMessage, bounds: row(32), look: { kind: 'text', color: this.sub(), size: 16 } });
    return { cls: 'android.widget.FrameLayout', pkg, resourceId: 'android:id/content', bounds: b, children };
  }

  private stopwatchScreen(b: Bounds): UiNode {
    const pkg = STOPWATCH_PKG;
    const bar = this.toolbar(pkg, b, 'Stopwatch');
    const running = this.stopwatchStart !== undefined;
    const ms = this.stopwatchElapsed + (running ? Date.now() - (this.stopwatchStart as number) : 0);
    const mid = bar.bounds[3] + Math.round((b[3] - bar.bounds[3]) / 3);
    const w = b[2] - b[0];
    // A bar sweeping across the screen once a second, so every frame differs visibly, as in an animation.
    const sweep = Math.round(((ms % 1000) / 1000) * (w - this.dp(24)));
    return {
      cls: 'android.widget.FrameLayout', pkg, resourceId: 'android:id/content', bounds: b,
      children: [
        bar,
        { cls: 'android.widget.TextView', pkg, resourceId: `${pkg}:id/elapsed`, text: `${(ms / 1000).toFixed(2)} s`, bounds: [b[0], mid - this.dp(40), b[2], mid + this.dp(40)], look: { kind: 'text', color: this.fg(), size: 48, align: 'middle' } },
        { cls: 'android.view.View', pkg, resourceId: `${pkg}:id/sweep`, bounds: [b[0] + sweep, mid + this.dp(56), b[0] + sweep + this.dp(24), mid + this.dp(80)], look: { kind: 'fill', color: '#1a73e8' } },
        {
          cls: 'android.widget.Button', pkg, resourceId: `${pkg}:id/start_stop`, text: running ? 'Stop' : 'Start', clickable: true,
          bounds: [b[0] + Math.round(w / 4), mid + this.dp(120), b[2] - Math.round(w / 4), mid + this.dp(176)], look: { kind: 'button', color: '#1a73e8', textColor: '#ffffff' },
          onTap: () => {
            if (this.stopwatchStart === undefined) {
              this.stopwatchStart = Date.now();
              this.emit({ type: 'app', pkg, level: 'D', tag: 'Stopwatch', msg: `Started at ${(this.stopwatchElapsed / 1000).toFixed(2)} s` });
            } else {
              this.stopwatchElapsed += Date.now() - this.stopwatchStart;
              this.emit({ type: 'app', pkg, level: 'D', tag: 'Stopwatch', msg: `Stopped at ${(this.stopwatchElapsed / 1000).toFixed(2)} s` });
              this.stopwatchStart = undefined;
            }
            this.changed();
          },
        },
      ],
    };
  }

  private genericAppScreen(b: Bounds): UiNode {
    const app = this.apps.find((a) => a.pkg === this.foreground);
    const pkg = this.foreground;
    const bar = this.toolbar(pkg, b, app?.label ?? pkg);
    return {
      cls: 'android.widget.FrameLayout', pkg, resourceId: 'android:id/content', bounds: b,
      children: [bar, { cls: 'android.widget.TextView', pkg, text: `${pkg} is running`, bounds: [b[0], bar.bounds[3], b[2], bar.bounds[3] + this.dp(80)], look: { kind: 'text', color: this.sub(), size: 16, align: 'middle' } }],
    };
  }

  svg(): string {
    const [W, H] = this.logicalSize;
    return toSvg(this.tree(), W, H, this.s, this.dark);
  }

  uiXml(): string {
    return toUiAutomatorXml(this.tree(), this.rotation);
  }
}
