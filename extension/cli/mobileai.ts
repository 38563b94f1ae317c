import { Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { AdbService, type AdbSettings } from '../core/adb/adbService';
import { AdbNotFoundError } from '../core/adb/locate';
import type { DeviceInfo, DeviceSummary } from '../core/adb/deviceInfo';
import { VirtualPhone } from '../core/virtualPhone/server';
import { stderrLogger, silentLogger, errorMessage } from '../core/util/log';
import { formatBytes } from '../core/util/format';

/** JSON shapes printed with --json are an interface: see the README before changing them. */
export interface DevicesJson {
  server: { host: string; port: number };
  devices: DeviceSummary[];
}

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be an integer from 0 to 65535`);
    return n;
  };
}

function adbFrom(opts: { adb?: string; host?: string; port?: number; verbose?: boolean }): AdbService {
  const settings: AdbSettings = { adbPath: opts.adb, serverHost: opts.host, serverPort: opts.port };
  return new AdbService(settings, { log: opts.verbose ? stderrLogger() : silentLogger });
}

export function describeInfo(i: DeviceInfo): string {
  const rows: Array<[string, string | undefined]> = [
    ['Serial', i.serial],
    ['State', i.state + (i.hint ? ` (${i.hint})` : '')],
    ['Model', [i.manufacturer, i.model].filter(Boolean).join(' ') || undefined],
    ['Android', i.androidRelease ? `${i.androidRelease} (SDK ${i.sdk ?? '?'})` : undefined],
    ['ABIs', i.abis.join(', ') || undefined],
    ['SoC', i.soc.label],
    ['RAM', i.ramBytes ? formatBytes(i.ramBytes) : undefined],
    ['Screen', i.screen ? `${i.screen.width}x${i.screen.height}${i.screen.density ? ` @ ${i.screen.density} dpi` : ''}` : undefined],
    ['Battery', i.battery?.level !== undefined ? `${i.battery.level}% ${i.battery.status ?? ''}${i.battery.temperatureC !== undefined ? `, ${i.battery.temperatureC} °C` : ''}`.trim() : undefined],
    ['Virtual', i.virtual ? 'yes (Mobile AI Studio virtual phone)' : undefined],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${`${k}:`.padEnd(9)} ${v}`).join('\n');
}

export function buildProgram(): Command {
  const program = new Command('mobileai')
    .description('Mobile AI Studio: phones, models and agents from the command line')
    .option('--adb <path>', 'path to adb (default: ANDROID_HOME, ANDROID_SDK_ROOT, then PATH)')
    .option('-H, --host <host>', 'adb server host (default: adb environment or 127.0.0.1)')
    .option('-P, --port <port>', 'adb server port (default: ANDROID_ADB_SERVER_PORT or 5037)', int('port'))
    .option('-v, --verbose', 'log adb commands to stderr')
    .enablePositionalOptions()
    .showHelpAfterError();

  program.command('devices').description('list connected devices').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const adb = adbFrom(program.opts());
    const devices = await adb.listDevicesDetailed();
    if (o.json) {
      const out: DevicesJson = { server: { host: adb.address.host, port: adb.address.port }, devices };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    if (!devices.length) {
      process.stdout.write('No devices. Plug in a phone with USB debugging on, "adb connect HOST:PORT", or start a virtual phone: mobileai virtual-phone\n');
      return;
    }
    for (const d of devices) process.stdout.write(`${d.serial}\t${d.state}${d.model ? `\t${d.model}` : ''}${d.hint ? `\t${d.hint}` : ''}\n`);
  });

  program.command('info <serial>').description('details of one device').option('--json', 'print JSON').action(async (serial: string, o: { json?: boolean }) => {
    const info = await adbFrom(program.opts()).info(serial);
    process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : `${describeInfo(info)}\n`);
  });

  program.command('screenshot <serial> <out>').description('save the screen as a PNG (never overwrites)').action(async (serial: string, out: string) => {
    const r = await adbFrom(program.opts()).screenshot(serial, path.resolve(out));
    process.stdout.write(`${r.path} (${r.width}x${r.height}, ${formatBytes(r.bytes)})\n`);
  });

  program.command('connect <target>').description('connect to a phone over TCP (HOST[:PORT])').action(async (target: string) => {
    process.stdout.write(`connected to ${await adbFrom(program.opts()).connect(target)}\n`);
  });

  program.command('disconnect <target>').description('disconnect a TCP phone').action(async (target: string) => {
    await adbFrom(program.opts()).disconnect(target);
    process.stdout.write(`disconnected ${target}\n`);
  });

  program
    .command('virtual-phone')
    .description('run a virtual phone that adb can connect to (Ctrl-C stops it)')
    .option('--port <port>', 'TCP port (0 picks a free one)', int('port'), 6520)
    .option('--bind <host>', 'address to listen on', '127.0.0.1')
    .option('--model <name>', 'ro.product.model')
    .option('--manufacturer <name>', 'ro.product.manufacturer')
    .option('--size <WxH>', 'screen size in pixels, e.g. 1080x2400')
    .option('--density <dpi>', 'screen density', (v) => Number(v))
    .option('--prop <key=value...>', 'extra system properties', (v: string, prev: string[] = []) => [...prev, v])
    .option('--require-auth', 'ask for RSA authorization (shows as "unauthorized" until you press "a")')
    .option('--connect', 'also run "adb connect" against the adb server')
    .option('--data-dir <dir>', 'where the phone keeps its files (default: a temp folder removed on exit)')
    .action(async (o: { port: number; bind: string; model?: string; manufacturer?: string; size?: string; density?: number; prop?: string[]; requireAuth?: boolean; connect?: boolean; dataDir?: string }) => {
      let width: number | undefined;
      let height: number | undefined;
      if (o.size) {
        const m = /^(\d+)x(\d+)$/.exec(o.size);
        if (!m) throw new InvalidArgumentError('--size must look like 1080x2400');
        width = Number(m[1]);
        height = Number(m[2]);
      }
      const props: Record<string, string> = {};
      for (const p of o.prop ?? []) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new InvalidArgumentError(`--prop ${p}: expected key=value`);
        props[p.slice(0, eq)] = p.slice(eq + 1);
      }
      const log = program.opts().verbose ? stderrLogger('virtual-phone') : silentLogger;
      const phone = await VirtualPhone.start({
        port: o.port, host: o.bind, requireAuth: o.requireAuth, dataDir: o.dataDir, log,
        profile: { model: o.model, manufacturer: o.manufacturer, width, height, density: o.density, props },
      });
      process.stdout.write(`Virtual phone "${phone.device.profile.model}" listening on ${phone.address}\nConnect with: adb connect ${phone.address}\n`);
      if (o.requireAuth) {
        process.stdout.write('Authorization required: press "a" then Enter to allow a waiting computer.\n');
        phone.on('auth-request', () => process.stdout.write('A computer asks to be allowed: press "a" then Enter.\n'));
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', (d: string) => {
          if (d.trim() === 'a') process.stdout.write(`Allowed ${phone.authorize()} computer(s).\n`);
        });
      }
      if (o.connect) {
        const adb = adbFrom(program.opts());
        process.stdout.write(`${await adb.connect(phone.address)} connected to the adb server at ${adb.address.host}:${adb.address.port}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await phone.stop();
      process.stdout.write('Virtual phone stopped.\n');
      process.exit(0);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    const msg = err instanceof AdbNotFoundError ? err.message : `error: ${errorMessage(err)}`;
    process.stderr.write(`${msg}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
