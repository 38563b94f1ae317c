/**
 * The ADB transport protocol (device side): 24-byte little-endian headers followed by a payload.
 * See the AOSP "protocol.txt". Everything here is pure and unit-tested.
 */
export const A_SYNC = 0x434e5953;
export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_CLSE = 0x45534c43;
export const A_WRTE = 0x45545257;
export const A_STLS = 0x534c5453;

export const A_VERSION = 0x01000001;
export const A_VERSION_MIN = 0x01000000;
export const MAX_PAYLOAD = 1024 * 1024;
/** Largest CNXN/AUTH payload adb sends or accepts before the max payload is agreed. */
export const MAX_HANDSHAKE_PAYLOAD = 4096;

export const AUTH_TOKEN = 1;
export const AUTH_SIGNATURE = 2;
export const AUTH_RSAPUBLICKEY = 3;

export interface Packet {
  command: number;
  arg0: number;
  arg1: number;
  payload: Buffer;
}

const NAMES: Record<number, string> = {
  [A_SYNC]: 'SYNC', [A_CNXN]: 'CNXN', [A_AUTH]: 'AUTH', [A_OPEN]: 'OPEN',
  [A_OKAY]: 'OKAY', [A_CLSE]: 'CLSE', [A_WRTE]: 'WRTE', [A_STLS]: 'STLS',
};

export function commandName(command: number): string {
  return NAMES[command] ?? `0x${command.toString(16)}`;
}

export function checksum(payload: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload[i]) >>> 0;
  return sum;
}

export function encodePacket(p: Packet, withChecksum = false): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(p.command >>> 0, 0);
  header.writeUInt32LE(p.arg0 >>> 0, 4);
  header.writeUInt32LE(p.arg1 >>> 0, 8);
  header.writeUInt32LE(p.payload.length, 12);
  header.writeUInt32LE(withChecksum ? checksum(p.payload) : 0, 16);
  header.writeUInt32LE((p.command ^ 0xffffffff) >>> 0, 20);
  return p.payload.length ? Buffer.concat([header, p.payload]) : header;
}

export class ProtocolError extends Error {}

/**
 * Incremental decoder: feed it whatever TCP hands over; it yields whole packets. Rejects bad magic and
 * oversized payloads (a hostile or confused peer cannot make it allocate without bound).
 */
export class PacketDecoder {
  private chunks: Buffer[] = [];
  private length = 0;
  maxPayload = MAX_PAYLOAD;
  verifyChecksum = false;

  push(data: Buffer): Packet[] {
    this.chunks.push(data);
    this.length += data.length;
    const out: Packet[] = [];
    for (;;) {
      if (this.length < 24) break;
      const buf = this.flatten();
      const command = buf.readUInt32LE(0);
      const magic = buf.readUInt32LE(20);
      if (((command ^ 0xffffffff) >>> 0) !== magic) {
        throw new ProtocolError(`bad packet magic for command 0x${command.toString(16)}`);
      }
      const len = buf.readUInt32LE(12);
      if (len > this.maxPayload) throw new ProtocolError(`payload of ${len} bytes exceeds ${this.maxPayload}`);
      if (buf.length < 24 + len) break;
      const payload = Buffer.from(buf.subarray(24, 24 + len));
      if (this.verifyChecksum && checksum(payload) !== buf.readUInt32LE(16)) {
        throw new ProtocolError(`bad checksum on ${commandName(command)}`);
      }
      out.push({ command, arg0: buf.readUInt32LE(4), arg1: buf.readUInt32LE(8), payload });
      const rest = buf.subarray(24 + len);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
    }
    return out;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

/** Parses a CNXN banner such as `host::features=shell_v2,cmd` into its system type and properties. */
export function parseBanner(payload: Buffer): { systemType: string; props: Map<string, string>; features: string[] } {
  const text = payload.toString('utf8').replace(/\0+$/, '');
  const [systemType, , rest = ''] = text.split(':');
  const props = new Map<string, string>();
  for (const part of rest.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) props.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const features = (props.get('features') ?? '').split(',').filter(Boolean);
  return { systemType, props, features };
}

/* ---- Shell protocol v2 ---- */
export const SHELL_STDIN = 0;
export const SHELL_STDOUT = 1;
export const SHELL_STDERR = 2;
export const SHELL_EXIT = 3;
export const SHELL_CLOSE_STDIN = 4;
export const SHELL_WINDOW_SIZE = 5;

export function encodeShellPacket(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(id, 0);
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

export class ShellPacketDecoder {
  private buf: Buffer = Buffer.alloc(0);
  push(data: Buffer): Array<{ id: number; data: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: Array<{ id: number; data: Buffer }> = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32LE(1);
      if (len > MAX_PAYLOAD) throw new ProtocolError(`shell packet of ${len} bytes is too large`);
      if (this.buf.length < 5 + len) break;
      out.push({ id: this.buf[0], data: Buffer.from(this.buf.subarray(5, 5 + len)) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}

/** Parses a service name: `shell,v2,TERM=xterm,raw:ls` → { service: 'shell', args: ['v2','TERM=xterm','raw'], command: 'ls' }. */
export function parseService(name: string): { service: string; args: string[]; command: string } {
  const clean = name.replace(/\0+$/, '');
  const colon = clean.indexOf(':');
  const head = colon < 0 ? clean : clean.slice(0, colon);
  const command = colon < 0 ? '' : clean.slice(colon + 1);
  const [service, ...args] = head.split(',');
  return { service, args, command };
}

/* ---- Smart-socket replies (adb_io.cpp SendOkay/SendFail/SendProtocolString) ---- */

/** A string prefixed by its length in bytes as 4 hex digits. */
export function adbProtocolString(s: string): string {
  const len = Buffer.byteLength(s, 'utf8');
  if (len > 0xffff) throw new RangeError(`protocol string of ${len} bytes is too long`);
  return len.toString(16).padStart(4, '0') + s;
}

export function adbOkay(): string {
  return 'OKAY';
}

/** `FAIL` followed by the message as a protocol string. */
export function adbFail(message: string): string {
  return `FAIL${adbProtocolString(message)}`;
}
