import { Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { AdbService, type AdbSettings } from '../core/adb/adbService';
import { AdbNotFoundError } from '../core/adb/locate';
import type { DeviceInfo, DeviceSummary } from '../core/adb/deviceInfo';
import { VirtualPhone } from '../core/virtualPhone/server';
import { addAgentCommands, addManifestCommands } from './agentCommands';
import { stderrLogger, silentLogger, errorMessage } from '../core/util/log';
import { formatBytes } from '../core/util/format';
import { readFile } from 'node:fs/promises';
import { writeFileAtomicNoClobber } from '../core/util/fsAtomic';
import { addLlmCommands } from './llmCommands';
import { addLlmShapeCommands } from './llmShapeCommands';
import { addTableCheckCommands } from './tableCheckCommands';
import { addSearchCommands } from './searchCommands';
import { CancelSource, CancelledError, type Progress } from '../core/util/progress';
import type { ModelSummary } from '../core/onnx/summary';
import type { ProfileResult } from '../core/profile/types';
import type { ProfileComparison } from '../core/profile/compare';
import type { QuantizeReport } from '../core/quantize/quantize';
import { describeAccuracy } from '../core/quantize/accuracy';

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

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const SHAPE_HELP = 'whole shape of an input, unnamed dims included (repeatable), e.g. x=1x3x640x640';
  const VALUE_HELP = 'value of an input (repeatable): a scalar, or one number that fills the tensor, e.g. sr=16000';
  /** --shape/--value/--dim/--input as engine input overrides (core/inputs). */
  const inputOverrides = async (o: { shape?: string[]; value?: string[]; dim?: string[]; input?: string[] }) => {
    const { parseInputFlags, InputError } = await import('../core/inputs/spec');
    try {
      return parseInputFlags(o, (p) => path.resolve(p));
    } catch (err) {
      throw err instanceof InputError ? new InvalidArgumentError(err.message) : err;
    }
  };

  program
    .command('summary <model>')
    .description('what is in an ONNX or TFLite model: inputs/outputs, ops, parameters, MACs (ONNX), quantization and metadata (.tflite)')
    .option('--shape <name=shape...>', `${SHAPE_HELP}; MACs are counted at these shapes`, collect)
    .option('--value <name=value...>', VALUE_HELP, collect)
    .option('--dim <name=value...>', 'value for a symbolic dimension (repeatable), so MACs can be counted', collect)
    .option('--json', 'print JSON')
    .action(async (model: string, o: { shape?: string[]; value?: string[]; dim?: string[]; json?: boolean }) => {
      // A TFLite flatbuffer by name or by its "TFL3" identifier at byte 4 (TFLite's own test models are *.bin).
      if (/\.tflite$/i.test(model) || (await tfliteIdentifier(path.resolve(model)))) {
        const { summarizeTfliteFile, describeTfliteSummary } = await import('../core/tflite/summary');
        const t = await summarizeTfliteFile(path.resolve(model));
        process.stdout.write(o.json ? `${JSON.stringify(t, null, 2)}\n` : `${describeTfliteSummary(t)}\n`);
        return;
      }
      const { summarizeFile } = await import('../core/onnx/summary');
      const s = await summarizeFile(path.resolve(model), { inputs: await inputOverrides({ shape: o.shape, value: o.value, dim: o.dim }) });
      process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : `${describeSummary(s)}\n`);
    });

  program
    .command('profile <model>')
    .description('per-op profile on this machine (onnxruntime-node) or on a phone (--device)')
    .option('--runs <n>', 'measured runs', (v) => positiveInt('--runs', v), 20)
    .option('--warmup <n>', 'warm-up runs (not measured)', (v) => nonNegativeInt('--warmup', v), 3)
    .option('--opt <level>', 'graph optimization: all (fused kernels) | extended | basic | disabled (1:1 with the file\'s nodes)', 'all')
    .option('--device <serial>', 'profile on this phone through a runner')
    .option('--shape <name=shape...>', SHAPE_HELP, collect)
    .option('--value <name=value...>', VALUE_HELP, collect)
    .option('--dim <name=value...>', 'value for a symbolic dimension (repeatable); a dim with no value is refused', collect)
    .option('--input <name=file...>', 'input from a .npy or .pb tensor file (repeatable)', collect)
    .option('--threads <n>', 'intra-op threads', (v) => positiveInt('--threads', v))
    .option('--ort-runner <path>', 'onnxruntime_perf_test built for Android (for --device)')
    .option('--tflite-runner <path>', 'TFLite benchmark_model built for Android (for --device and .tflite)')
    .option('--json', 'print the profile as JSON')
    .option('--out <file>', 'also save the profile JSON (never overwrites)')
    .option('--trace <file>', 'save a Chrome trace (opens in Perfetto)')
    .option('--csv <file>', 'save per-node times as CSV')
    .option('--compare <profile.json>', 'compare with a saved profile (per-op deltas)')
    .action(async (model: string, o: { runs: number; warmup: number; opt: string; device?: string; shape?: string[]; value?: string[]; dim?: string[]; input?: string[]; threads?: number; ortRunner?: string; tfliteRunner?: string; json?: boolean; out?: string; trace?: string; csv?: string; compare?: string }) => {
      const { OPT_LEVELS } = await import('../core/profile/ort');
      if (!(OPT_LEVELS as readonly string[]).includes(o.opt)) throw new InvalidArgumentError(`--opt must be one of ${OPT_LEVELS.join(', ')}`);
      const inputs = await inputOverrides({ shape: o.shape, value: o.value, dim: o.dim, input: o.input });
      const cancel = new CancelSource();
      const onSigint = () => {
        process.stderr.write('\ncancelling…\n');
        cancel.cancel();
      };
      process.once('SIGINT', onSigint);
      const progress = { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } };
      const common = { runs: o.runs, warmup: o.warmup, optimization: o.opt as 'all', inputs, threads: o.threads, progress, signal: cancel.signal };
      let result;
      try {
        if (!o.device && /\.tflite$/i.test(model)) {
          // LiteRT.js on this computer: the model's own input shapes, generated data, whole-run latency only.
          if ([o.shape, o.value, o.dim, o.input].some((x) => x?.length)) throw new InvalidArgumentError('for a .tflite on this computer, LiteRT.js runs the model at its own input shapes with generated data: --shape, --value, --dim and --input are for ONNX models');
          const { profileTfliteOnHost } = await import('../core/litert/profile');
          result = await profileTfliteOnHost(path.resolve(model), { runs: o.runs, warmup: o.warmup, threads: o.threads, signal: cancel.signal });
        } else if (o.device) {
          const { profileOnPhone } = await import('../core/profile/phoneProfiler');
          result = await profileOnPhone(adbFrom(program.opts()), o.device, path.resolve(model), { ...common, ortRunner: o.ortRunner, tfliteRunner: o.tfliteRunner });
        } else {
          const { profileOnHost } = await import('../core/profile/hostProfiler');
          result = (await profileOnHost(path.resolve(model), common)).result;
        }
      } finally {
        process.off('SIGINT', onSigint);
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      }
      const { toChromeTrace, toCsv } = await import('../core/profile/export');
      if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), `${JSON.stringify(result, null, 2)}\n`);
      if (o.trace) await writeFileAtomicNoClobber(path.resolve(o.trace), JSON.stringify(toChromeTrace(result)));
      if (o.csv) await writeFileAtomicNoClobber(path.resolve(o.csv), toCsv(result));
      let comparison;
      if (o.compare) {
        const { compareProfiles } = await import('../core/profile/compare');
        comparison = compareProfiles(JSON.parse(await readFile(path.resolve(o.compare), 'utf8')), result);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify(comparison ? { profile: result, comparison } : result, null, 2)}\n`);
      } else {
        process.stdout.write(`${describeProfile(result)}\n`);
        if (comparison) process.stdout.write(`\n${describeComparison(comparison)}\n`);
      }
    });

  // `profile import FILE`: a saved runner output (CI, a colleague's phone, a device farm) as our profile JSON.
  // The parent `profile` command owns --json/--out, so they arrive through optsWithGlobals().
  program.commands.find((c) => c.name() === 'profile')
    ?.command('import <file>')
    .description('turn a saved output into a profile: ONNX Runtime profile JSON, onnxruntime_perf_test output, benchmark_model output (stdout or CSV)')
    .option('--format <format>', 'auto | ort-json | perf-test | benchmark-model | benchmark-model-csv', 'auto')
    .option('--label <device>', 'the device the output came from (shown in the profile)')
    .option('--model-name <name>', 'the model, when the output does not name it')
    .option('--json', 'print the profile as JSON')
    .option('--out <file>', 'also save the profile JSON (never overwrites)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { format: string; label?: string; modelName?: string; json?: boolean; out?: string };
      const { importProfile, IMPORT_FORMATS } = await import('../core/profile/import');
      const formats = IMPORT_FORMATS.filter((f) => f !== 'mobileai');
      if (!(formats as readonly string[]).includes(o.format)) throw new InvalidArgumentError(`--format must be one of ${formats.join(', ')}`);
      const result = await importProfile(path.resolve(file), { format: o.format as 'auto', device: o.label, model: o.modelName });
      if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeProfile(result)}\n`);
    });

  program
    .command('compare <a> <b>')
    .description('compare two saved profiles (a is the baseline)')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const { compareProfiles } = await import('../core/profile/compare');
      const load = async (f: string) => JSON.parse(await readFile(path.resolve(f), 'utf8'));
      const c = compareProfiles(await load(a), await load(b));
      process.stdout.write(o.json ? `${JSON.stringify(c, null, 2)}\n` : `${describeComparison(c)}\n`);
    });

  program
    .command('quantize <model>')
    .description('post-training quantization, checked with onnxruntime, with a fidelity and speed report')
    .requiredOption('--out <file>', 'the quantized model (a new file: nothing is ever overwritten)')
    .option('--mode <mode>', 'dynamic | static | int4', 'static')
    .option('--calibration <path>', 'calibration data: a folder or file of .npy/.pb tensors, or a folder of images (with --preprocess)')
    .option('--preprocess <recipe>', 'for images: resize=224x224,layout=nchw,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,scale=1/255,channels=rgb')
    .option('--eval <path>', 'held-out inputs for the report (same forms as --calibration; default: the calibration data or random inputs)')
    .option('--samples <n>', 'at most this many calibration samples', (v) => positiveInt('--samples', v), 512)
    .option('--random <n>', 'calibrate on N random inputs (a poor choice: the report says why)', (v) => positiveInt('--random', v))
    .option('--method <m>', 'calibration: minmax | percentile | entropy', 'minmax')
    .option('--percentile <p>', 'for --method percentile', (v) => Number(v), 99.999)
    .option('--per-channel', 'per-channel weights (Conv axis 0, ConvTranspose axis 1, MatMul axis 1)')
    .option('--u8s8', 'uint8 activations (default: S8S8, int8 activations and weights)')
    .option('--reduce-range', '7-bit ranges (uint8 0..127, int8 -64..64) for CPUs without VNNI')
    .option('--symmetric-activations', 'symmetric activations (default asymmetric)')
    .option('--asymmetric-weights', 'asymmetric weights (default symmetric)')
    .option('--block-size <n>', 'int4: a power of two from 16 to 256', (v) => positiveInt('--block-size', v), 32)
    .option('--int4-asymmetric', 'int4: with zero points (default symmetric)')
    .option('--exclude <name...>', 'node names to keep in float', collect)
    .option('--exclude-op <type...>', 'op types to keep in float', collect)
    .option('--keep-first-last', 'keep the first and last Conv/MatMul/Gemm layers in float')
    .option('--shape <name=shape...>', `${SHAPE_HELP}; calibration and evaluation inputs are drawn at it`, collect)
    .option('--value <name=value...>', VALUE_HELP, collect)
    .option('--dim <name=value...>', 'symbolic dimension values for generated inputs', collect)
    .option('--no-sensitivity', 'skip the per-layer sensitivity analysis')
    .option('--target-cosine <c>', 'fidelity target on held-out inputs: every output\'s cosine at least this (exit 1 when missed)', (v) => fraction('--target-cosine', v), 0.99)
    .option('--target-top1 <a>', 'fidelity target: top-1 agreement of class-score outputs at least this (exit 1 when missed)', (v) => fraction('--target-top1', v), 0.98)
    .option('--no-accuracy-aware', 'when the target is missed, do not keep sensitive layers in float (the miss is still an error)')
    .option('--cle', 'cross-layer equalization before calibration (Conv/Gemm pairs; helps per-tensor int8 on depthwise CNNs)')
    .option('--bias-correction', 'correct the output shift weight rounding causes (from calibration data, or BatchNorm statistics)')
    .option('--json', 'print the report as JSON')
    .action(async (model: string, o: Record<string, unknown> & { out: string; mode: string; method: string; percentile: number; samples: number; blockSize: number; sensitivity: boolean; targetCosine: number; targetTop1: number; accuracyAware: boolean; cle?: boolean; biasCorrection?: boolean; shape?: string[]; value?: string[]; dim?: string[]; exclude?: string[]; excludeOp?: string[] }) => {
      if (!['dynamic', 'static', 'int4'].includes(o.mode)) throw new InvalidArgumentError('--mode must be dynamic, static or int4');
      if (!['minmax', 'percentile', 'entropy'].includes(o.method)) throw new InvalidArgumentError('--method must be minmax, percentile or entropy');
      if (!(o.percentile > 0 && o.percentile <= 100)) throw new InvalidArgumentError('--percentile must be in (0, 100]');
      const { quantizeModel } = await import('../core/quantize/quantize');
      const { parseRecipe } = await import('../core/quantize/calibration');
      const inputs = await inputOverrides({ shape: o.shape, value: o.value, dim: o.dim });
      const spec = async (p: string | undefined): Promise<import('../core/quantize/calibration').CalibrationSpec | undefined> => {
        if (!p) return undefined;
        const full = path.resolve(p);
        if (o.preprocess || (await isImageFolder(full))) {
          const r = /resize=(\d+)x(\d+)/.exec(String(o.preprocess ?? ''));
          return { kind: 'images', path: full, recipe: parseRecipe(String(o.preprocess ?? ''), { width: r ? Number(r[1]) : 224, height: r ? Number(r[2]) : 224 }) };
        }
        return { kind: 'files', path: full };
      };
      const calibration = o.random ? { kind: 'random' as const, count: o.random as number } : await spec(o.calibration as string | undefined);
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\ncancelling…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      try {
        const report = await quantizeModel({
          input: path.resolve(model), output: path.resolve(o.out), mode: o.mode as 'static', method: o.method as 'minmax', percentile: o.percentile,
          perChannel: !!o.perChannel, u8s8: !!o.u8s8, reduceRange: !!o.reduceRange, symmetricActivations: !!o.symmetricActivations, symmetricWeights: !o.asymmetricWeights,
          blockSize: o.blockSize, int4Symmetric: !o.int4Asymmetric, exclude: o.exclude ?? [], excludeOpTypes: o.excludeOp ?? [], keepFirstLast: !!o.keepFirstLast,
          calibration, evaluation: await spec(o.eval as string | undefined), maxCalibrationSamples: o.samples, inputs, sensitivity: o.sensitivity,
          target: { cosine: o.targetCosine, top1: o.targetTop1 }, accuracyAware: o.accuracyAware, cle: !!o.cle, biasCorrection: !!o.biasCorrection,
          signal: cancel.signal, progress: { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } },
        });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${describeQuantize(report)}\n`);
        // A model that misses its fidelity target is written (to inspect) but never reported as a success.
        if (!report.accuracy.met) {
          process.stderr.write(`error: ${path.basename(report.output.file)} misses the accuracy target: ${report.accuracy.failures.join('; ')}\n`);
          process.exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  addSearchCommands(program);

  program
    .command('deploy')
    .description('push model files (checked with sha256, moved into place atomically) and/or install an APK, then launch')
    .requiredOption('--device <serial>', 'the phone')
    .option('--model <file...>', 'files to push (repeatable)', collect)
    .option('--apk <file>', 'an APK to install (pm install -r)')
    .option('--to <dir>', 'folder on the phone', '/data/local/tmp/mobileai/deploy')
    .option('--launch <activity>', 'activity to start afterwards (package/.Activity)')
    .option('--history <file>', 'append the deploy to this history (JSON lines)', '.mobileai/deploy-history.jsonl')
    .option('--json', 'print JSON')
    .action(async (o: { device: string; model?: string[]; apk?: string; to: string; launch?: string; history: string; json?: boolean }) => {
      const { deploy, recordHistory } = await import('../core/deploy/deploy');
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\ncancelling…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      try {
        const r = await deploy(adbFrom(program.opts()), o.device, { files: (o.model ?? []).map((f) => path.resolve(f)), apk: o.apk && path.resolve(o.apk), to: o.to, launch: o.launch }, {
          signal: cancel.signal, progress: { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } },
        });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        await recordHistory(path.resolve(o.history), r);
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : [
          ...r.files.map((f) => `${f.remote}: ${formatBytes(f.bytes)}, sha256 ${f.sha256.slice(0, 16)}… verified`),
          ...(r.apk ? [`${path.basename(r.apk.file)}${r.apk.package ? ` (${r.apk.package})` : ''}: ${r.apk.message}`] : []),
          ...(r.launched ? [`launched ${r.launched.activity}`] : []),
          `${formatBytes(r.bytes)} in ${r.seconds.toFixed(2)} s (${r.mbPerSecond.toFixed(1)} MiB/s) to ${r.device}`,
        ].join('\n') + '\n');
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  const table = program.command('table').description('latency tables');
  table
    .command('build')
    .description('measure every block of a search space on this machine or a phone')
    .requiredOption('--out <file>', 'table file to write (JSON; one file per resolution gets a -<r> suffix)')
    .option('--space <space>', 'ofa-mbv3 | fbnet | a space file', 'ofa-mbv3')
    .option('--device <serial|host>', 'where to measure', 'host')
    .option('--resolution <r>', 'only this input resolution', (v) => positiveInt('--resolution', v))
    .option('--shape <name=shape...>', 'the network input to measure for, e.g. input=1x3x192x192 (picks the resolution)', collect)
    .option('--value <name=value...>', 'fill the blocks\' input with this value instead of random data, e.g. input=0.5', collect)
    .option('--runs <n>', 'runs per block (default 20); kernel tables: profiled runs per network (default 5)', (v) => positiveInt('--runs', v))
    .option('--predictor <p>', 'kernels (host default: blocks predicted from their kernels as onnxruntime fuses them; on a phone, profiled by its onnxruntime_perf_test -p) | blocks (each block timed alone; phone default)')
    .option('--threads <n>', 'onnxruntime intra-op threads to measure with (kernel tables: default 1, recorded in the table)', (v) => positiveInt('--threads', v))
    .option('--ort-runner <path>', 'onnxruntime_perf_test built for Android (real phones)')
    .action(async (o: { out: string; space: string; device: string; resolution?: number; shape?: string[]; value?: string[]; runs?: number; predictor?: string; threads?: number; ortRunner?: string }) => {
      const predictor = o.predictor ?? (o.device === 'host' && !o.value?.length ? 'kernels' : 'blocks');
      if (predictor !== 'kernels' && predictor !== 'blocks') throw new InvalidArgumentError(`--predictor must be kernels or blocks (got ${predictor})`);
      if (predictor === 'kernels' && o.value?.length) throw new InvalidArgumentError('--predictor kernels measures with random inputs; for --value use --predictor blocks');
      const overrides = await inputOverrides({ shape: o.shape, value: o.value });
      let resolution = o.resolution;
      for (const [name, shape] of Object.entries(overrides.shapes ?? {})) {
        if (name !== 'input') throw new InvalidArgumentError(`--shape ${name}: the space's networks have one input, named "input"`);
        if (shape.length !== 4 || shape[0] !== 1 || shape[2] !== shape[3]) throw new InvalidArgumentError(`--shape input=${shape.join('x')}: expected 1xCxRxR (the spaces are square images, batch 1)`);
        if (resolution !== undefined && resolution !== shape[2]) throw new InvalidArgumentError(`--shape input=${shape.join('x')} and --resolution ${resolution} disagree`);
        resolution = shape[2];
      }
      const { buildSpaceTable } = await import('../core/search/run');
      const { saveTable } = await import('../core/search/table');
      const cancel = new CancelSource();
      process.once('SIGINT', () => cancel.cancel());
      const target = o.device === 'host' ? { kind: 'host' as const } : { kind: 'phone' as const, adb: adbFrom(program.opts()), serial: o.device, runner: o.ortRunner && path.resolve(o.ortRunner) };
      const spaceArg = ['ofa-mbv3', 'ofa', 'fbnet'].includes(o.space) ? o.space : path.resolve(o.space);
      const progress = { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } };
      const tables = predictor === 'kernels'
        ? target.kind === 'phone'
          ? await (await import('../core/latency/phone')).buildKernelTablesOnPhone(spaceArg, resolution, target, { runs: o.runs, threads: o.threads, signal: cancel.signal, progress })
          : await (await import('../core/latency/build')).buildKernelTables(spaceArg, resolution, { runs: o.runs, threads: o.threads, signal: cancel.signal, progress })
        : await buildSpaceTable(spaceArg, resolution, target, { runs: o.runs ?? 20, threads: o.threads, inputs: overrides.values ? { values: overrides.values } : undefined, signal: cancel.signal, progress });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      for (const t of tables) {
        const file = tables.length > 1 ? path.resolve(o.out).replace(/(\.json)?$/, `-${t.resolution}.json`) : path.resolve(o.out);
        await saveTable(t, file);
        process.stdout.write(`${file}: ${Object.keys(t.entries).length} blocks measured on ${t.device.label}${t.device.note ? ` (${t.device.note})` : ''}${t.kernels ? ` (by their kernels: ${t.kernels.networks} networks profiled in ${t.kernels.buildSeconds.toFixed(0)} s, ${t.threads} thread${t.threads === 1 ? '' : 's'})` : ''}${t.inputs?.length ? ` for ${t.inputs.map((i) => `${i.name} ${i.shape.join('x')}`).join(', ')}` : ''}\n`);
      }
    });

  const adbOf = () => adbFrom(program.opts());
  addLlmCommands(program, adbOf);
  addLlmShapeCommands(program, adbOf);
  addTableCheckCommands(program, adbOf);
  addAgentCommands(program, () => adbFrom(program.opts()));
  addManifestCommands(program);
  return program;
}

/** True when the file carries TFLite's flatbuffer identifier "TFL3" at byte 4 (schema.fbs `file_identifier`). */
async function tfliteIdentifier(file: string): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  const h = await open(file, 'r').catch(() => undefined);
  if (!h) return false;
  try {
    const b = Buffer.alloc(8);
    const { bytesRead } = await h.read(b, 0, 8, 0);
    return bytesRead === 8 && b.toString('latin1', 4, 8) === 'TFL3';
  } catch {
    return false;
  } finally {
    await h.close();
  }
}

async function isImageFolder(p: string): Promise<boolean> {
  const { readdir, stat } = await import('node:fs/promises');
  const st = await stat(p).catch(() => undefined);
  if (!st) return false;
  const names = st.isDirectory() ? await readdir(p) : [p];
  return names.some((n) => /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i.test(n));
}

export function describeQuantize(r: QuantizeReport): string {
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  return [
    `${path.basename(r.input.file)} → ${path.basename(r.output.file)} (${r.mode}): ${formatBytes(r.input.bytes)} → ${formatBytes(r.output.bytes)} (${(r.output.bytes / r.input.bytes * 100).toFixed(0)}%)`,
    `quantized ${r.quantized.nodes} nodes: ${Object.entries(r.quantized.byOpType).map(([k, v]) => `${k} ${v}`).join(', ')}${r.quantized.skipped.length ? `; ${r.quantized.skipped.length} kept in float` : ''}`,
    ...(r.calibration ? [`calibration: ${r.calibration.method} on ${r.calibration.samples} sample(s) from ${r.calibration.source}${r.calibration.ranges ? `, mixing ${r.calibration.ranges.join(', ')}` : ''}`] : []),
    ...(r.inputs?.length ? [`measured at: ${r.inputs.map((i) => `${i.name} ${i.shape.length ? i.shape.join('x') : '[]'}${i.value !== undefined ? ` = ${Array.isArray(i.value) ? i.value.join(',') : i.value}` : ''}`).join(', ')}`] : []),
    `fidelity on ${r.fidelity.samples} held-out input(s)${r.fidelity.byRange ? `, the worst of ${r.fidelity.byRange.length} input ranges` : ''}:`,
    ...r.fidelity.outputs.map((f) => `  ${f.name}: ${f.shapeMismatch ? `SHAPE DIFFERS: ${f.shapeMismatch}` : f.exactMatch !== undefined ? `integer output, equal on ${pct(f.exactMatch)} of elements` : f.signal === 'none' ? 'no signal (the float output is constant on these inputs: nothing to compare)' : `${f.signal === 'collapsed' ? 'COLLAPSED (constant int8 output), ' : ''}cosine ${f.cosine.toFixed(5)}, SQNR ${f.sqnrDb.toFixed(1)} dB, max |err| ${f.maxAbsError.toPrecision(3)}${f.top1Agreement !== undefined && f.classScores !== false ? `, top-1 agree ${pct(f.top1Agreement)}, top-5 ${pct(f.top5Agreement)}` : ''}`}`),
    ...(r.fidelity.source ? [`  (evaluation inputs: ${r.fidelity.source})`] : []),
    ...(r.fidelity.byRange ?? []).flatMap((g) => [`  on ${g.range} (${g.samples}): ${g.outputs.map((f) => `${f.name} ${f.exactMatch !== undefined ? `equal ${pct(f.exactMatch)}` : f.signal === 'none' ? 'no signal' : `cosine ${f.cosine.toFixed(4)}${f.signal === 'collapsed' ? ' COLLAPSED' : ''}${f.classScores && f.top1Agreement !== undefined ? ` top-1 ${pct(f.top1Agreement)}` : ''}`}`).join(', ')}`]),
    ...describeAccuracy(r.accuracy),
    ...(r.preprocessing?.cle ? [`cross-layer equalization: ${r.preprocessing.cle.pairs.length} layer pairs, ${r.preprocessing.cle.foldedBatchNorms} BatchNorm folded; channel-range imbalance ${r.preprocessing.cle.imbalanceBefore.toFixed(2)} → ${r.preprocessing.cle.imbalanceAfter.toFixed(2)}`] : []),
    ...(r.preprocessing?.biasCorrection ? [`bias correction: ${r.preprocessing.biasCorrection.layers} layers (${r.preprocessing.biasCorrection.empirical} empirical on ${r.preprocessing.biasCorrection.samples} samples, ${r.preprocessing.biasCorrection.analytical} analytical); largest shift removed ${r.preprocessing.biasCorrection.maxShift.toPrecision(3)}`] : []),
    `host latency (interleaved, ${r.latency.runs} runs): float ${r.latency.floatMs.p50.toFixed(3)} ms, quantized ${r.latency.quantizedMs.p50.toFixed(3)} ms → ${r.latency.speedup.toFixed(2)}×`,
    ...(r.sensitivity.length ? ['most sensitive layers (SQNR when quantized alone):', ...r.sensitivity.slice(0, 5).map((s) => `  ${s.node} (${s.opType}): ${s.sqnrDb.toFixed(1)} dB`)] : []),
    ...r.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

function fraction(name: string, v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number from 0 to 1`);
  return n;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
}

function nonNegativeInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be 0 or a positive integer`);
  return n;
}

const fmtShape = (s: Array<number | string | null> | null) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(unknown)');

export function describeSummary(s: ModelSummary): string {
  const lines = [
    `${s.file ? path.basename(s.file) : 'model'}: ${formatBytes(s.fileBytes)}, IR ${s.irVersion}, producer ${s.producer.name || '?'} ${s.producer.version}`.trim(),
    `opsets: ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`,
    'inputs:',
    ...s.inputs.map((i) => `  ${i.name}: ${i.type} ${fmtShape(i.shape)}`),
    'outputs:',
    ...s.outputs.map((i) => `  ${i.name}: ${i.type} ${fmtShape(i.shape)}`),
    `nodes: ${s.nodeCount}${s.nodeCountWithSubgraphs !== s.nodeCount ? ` (${s.nodeCountWithSubgraphs} with subgraphs)` : ''}`,
    `ops: ${s.opHistogram.map((h) => `${h.domain === 'ai.onnx' ? '' : `${h.domain}.`}${h.opType} ${h.count}`).join(', ')}`,
    `parameters: ${s.parameters.count.toLocaleString('en-US')} (${formatBytes(s.parameters.bytes)}; ${Object.entries(s.parameters.byDtype).map(([k, v]) => `${k} ${v.count.toLocaleString('en-US')}`).join(', ')})`,
    `  ${s.parameters.initializers} initializers, ${s.parameters.constantNodes} Constant nodes${s.parameters.external.files.length ? `, external data ${formatBytes(s.parameters.external.bytes)} in ${s.parameters.external.files.join(', ')}` : ''}`,
    `MACs: ${s.macs.nodesCounted ? s.macs.total.toLocaleString('en-US') : 'unknown'}${s.at ? ` at ${s.at.inputs.map((i) => `${i.name} ${fmtShape(i.shape)}${i.value ? ` = ${i.value.join(',')}` : ''}`).join(', ')}` : ''}${s.macs.nodesUnknown ? ` (${s.macs.nodesUnknown} node(s) with unknown shapes, e.g. ${s.macs.unknownExamples[0]}; give --shape NAME=D1xD2x…)` : ''}${s.macs.branchesNotTaken ? `; ${s.macs.branchesNotTaken} If branch(es) that do not run at these values not counted` : ''}`,
    ...(s.at?.notes ?? []).map((n) => `note: ${n}`),
    ...s.warnings.map((w) => `warning: ${w}`),
  ];
  return lines.join('\n');
}

/** `x float32 1x3x640x640 (random image 0..1)`, `sr int64 [] = 16000 — sr = 16000 (sample-rate convention…)` */
export function describeInputRecords(records: ProfileResult['settings']['inputs']): string[] {
  return records.map((r) => {
    const what = r.source === 'value' ? `= ${Array.isArray(r.value) ? r.value.join(',') : r.value ?? '(values)'}` : r.source === 'generated' ? `(${r.data ?? 'generated'})` : `from ${r.source}`;
    return `${r.name} ${r.type} ${r.shape.length ? r.shape.join('x') : '[]'} ${what}${r.notes?.length ? ` — ${r.notes.join('; ')}` : ''}`;
  });
}

export function describeProfile(p: ProfileResult): string {
  const l = p.latencyMs;
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const lines = [
    `${p.model.name} on ${p.device.label}${p.device.note ? ` (${p.device.note})` : ''}, ${p.runtime.runner}, optimization ${p.runtime.optimization ?? 'n/a'}`,
    ...(p.source ? [`imported from ${p.source.file ?? 'a saved output'} (${p.source.format})`] : []),
    `runs: ${p.settings.runs} measured after ${p.settings.warmup} warm-up`,
    ...(p.settings.inputs?.length ? ['inputs:', ...describeInputRecords(p.settings.inputs).map((l) => `  ${l}`)] : []),
    `latency ms: p50 ${f(l.p50)}  p90 ${f(l.p90)}  p99 ${f(l.p99)}  mean ${f(l.mean)}  std ${f(l.std)}`,
    ...(p.phases?.initMs !== undefined || p.phases?.firstInferenceMs !== undefined
      // onnxruntime_perf_test reports session creation where benchmark_model reports init.
      ? [`${p.phases.initMs === undefined && p.phases.sessionCreationMs !== undefined ? `session creation ${f(p.phases.sessionCreationMs)}` : `init ${f(p.phases.initMs ?? NaN)}`} ms, first inference ${f(p.phases.firstInferenceMs ?? NaN)} ms`] : []),
    `kernels cover ${(p.kernelCoverage * 100).toFixed(1)}% of the run${p.peakMemoryBytes ? `; allocator peak ${formatBytes(p.peakMemoryBytes)}` : ''}${p.peakRssBytes ? `; peak RSS ${formatBytes(p.peakRssBytes)}` : ''}`,
    '',
    'by op type:',
    ...p.opTypes.slice(0, 15).map((t) => `  ${t.opType.padEnd(28)} ${(t.meanUs / 1000).toFixed(3).padStart(9)} ms ${(t.share * 100).toFixed(1).padStart(5)}%  (${t.nodes} node${t.nodes > 1 ? 's' : ''})`),
    '',
    'slowest nodes:',
    ...p.nodes.slice(0, 10).map((n) => `  ${n.name.slice(0, 40).padEnd(40)} ${n.opType.padEnd(22)} ${(n.meanUs / 1000).toFixed(3).padStart(9)} ms ${(n.share * 100).toFixed(1).padStart(5)}%`),
    ...p.warnings.map((w) => `warning: ${w}`),
  ];
  return lines.join('\n');
}

export function describeComparison(c: ProfileComparison): string {
  const us = (v: number | null) => (v === null ? '—' : `${(v / 1000).toFixed(3)} ms`);
  return [
    `A: ${c.a.label}: ${c.statistic ?? 'p50'} ${c.a.p50Ms.toFixed(3)} ms`,
    `B: ${c.b.label}: ${c.statistic ?? 'p50'} ${c.b.p50Ms.toFixed(3)} ms  (B is ${c.speedup.toFixed(2)}× ${c.speedup >= 1 ? 'faster' : 'slower'})`,
    'by op type (B − A):',
    ...c.byOpType.slice(0, 15).map((d) => `  ${d.key.padEnd(28)} ${us(d.aUs).padStart(11)} → ${us(d.bUs).padStart(11)}  ${d.deltaUs === null ? '' : `${d.deltaUs >= 0 ? '+' : ''}${(d.deltaUs / 1000).toFixed(3)} ms`}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command may set its own exit code (a missed accuracy target) and still finish normally.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const msg = err instanceof AdbNotFoundError ? err.message : `error: ${errorMessage(err)}`;
    process.stderr.write(`${msg}\n`);
    return err instanceof CancelledError ? 130 : 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    // A command may set its own non-zero exit code (an agent run that did not succeed) and still return 0.
    process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
  });
}
