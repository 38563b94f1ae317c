// Builds the extension, the CLI and every webview app with esbuild.
//   node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Native or host-provided modules, and LiteRT.js (its WebAssembly files are loaded from its package folder): never bundled. */
const external = ['vscode', 'onnxruntime-node', 'sharp', '@litertjs/core'];

const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of [...result.errors, ...result.warnings]) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * Heavy libraries live in their own files under dist/vendor/, required on first use, so loading the
 * extension stays cheap: adbkit (with bluebird and node-forge, most of the engine's code), the OpenAI
 * client and the XML parser (used by agents only), the language client and ajv (mobileai.yaml only).
 */
const VENDORED = { '@devicefarmer/adbkit': 'adbkit', openai: 'openai', 'fast-xml-parser': 'fast-xml-parser', 'vscode-languageclient/node': 'languageclient', ajv: 'ajv', yaml: 'yaml', 'onnx-proto': 'onnx-proto' };
const vendorAdbkit = {
  name: 'vendor-libraries',
  setup(build) {
    build.onResolve({ filter: /^(@devicefarmer\/adbkit|openai|fast-xml-parser|vscode-languageclient\/node|ajv|yaml|onnx-proto)$/ }, (args) => ({ path: `./vendor/${VENDORED[args.path]}.js`, external: true }));
  },
};

/**
 * Parts of our own engine that only some commands need, built as their own files in dist/ and required when
 * first used: the virtual phone (its shell, toybox, package manager: the largest part of the engine) loads
 * when "Start Virtual Phone" runs. Only the module's entry is shared across the boundary (a class and plain data).
 */
const LAZY = {
  'virtual-phone': { entry: 'extension/core/virtualPhone/server.ts', folder: 'virtualPhone', filter: /(^|\/)virtualPhone\/server$/ },
  // The TFLite reader with its generated flatbuffers schema, when a .tflite is opened or run (also by the virtual phone's benchmark_model).
  tflite: { entry: 'extension/core/tflite/index.ts', folder: 'tflite', filter: /(^|\/)tflite\/(reader|summary|graph|inspect|tensorValues|index)$/ },
};
/** Imports of a lazy part from outside its folder become a require of its file (one copy, shared by every bundle). */
const lazyParts = (self) => ({
  name: 'lazy-engine-parts',
  setup(build) {
    for (const [name, part] of Object.entries(LAZY)) {
      if (name === self) continue;
      build.onResolve({ filter: part.filter }, (args) => (args.importer.includes(`${path.sep}${part.folder}${path.sep}`) ? undefined : { path: `./${name}.js`, external: true }));
    }
  },
});

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  plugins: watch ? [problemMatcherPlugin, vendorAdbkit] : [vendorAdbkit],
  absWorkingDir: root,
};

const configs = [
  ...Object.entries(VENDORED).map(([pkg, name]) => ({ ...node, plugins: watch ? [problemMatcherPlugin] : [], entryPoints: { [`vendor/${name}`]: pkg }, outdir: 'dist' })),
  ...Object.entries(LAZY).map(([name, part]) => ({ ...node, plugins: [...node.plugins, lazyParts(name)], entryPoints: { [name]: part.entry }, outdir: 'dist' })),
  { ...node, plugins: [...node.plugins, lazyParts()], entryPoints: { extension: 'extension/vscode/extension.ts' }, outdir: 'dist' },
  { ...node, plugins: [...node.plugins, lazyParts()], entryPoints: { cli: 'extension/cli/mobileai.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { 'search-worker': 'extension/core/search/worker.ts' }, outdir: 'dist' },
];
if (existsSync(path.join(root, 'language-server/server.ts'))) {
  configs.push({ ...node, entryPoints: { 'language-server': 'language-server/server.ts' }, outdir: 'dist' });
}

// Each webview app is webview/<name>/main.ts (browser bundle dist/webview/<name>.js).
const webviewDir = path.join(root, 'webview');
for (const name of existsSync(webviewDir) ? readdirSync(webviewDir) : []) {
  const entry = path.join('webview', name, 'main.ts');
  if (!existsSync(path.join(root, entry))) continue;
  configs.push({
    bundle: true, platform: 'browser', format: 'iife', target: 'chrome114', sourcemap: production ? false : 'linked', minify: production,
    entryPoints: { [name]: entry }, outdir: 'dist/webview', logLevel: 'warning', plugins: watch ? [problemMatcherPlugin] : [], absWorkingDir: root,
    loader: { '.css': 'css' },
  });
}

// The codicon font and its stylesheet, linked by every webview (id "vscode-codicon-stylesheet", which
// @vscode-elements' <vscode-icon> looks up to load the font into its shadow root).
const codicons = path.join(root, 'node_modules', '@vscode', 'codicons', 'dist');
if (existsSync(codicons)) {
  mkdirSync(path.join(root, 'dist', 'webview', 'codicons'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(path.join(codicons, f), path.join(root, 'dist', 'webview', 'codicons', f));
}

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const t0 = Date.now();
  await Promise.all(configs.map((c) => esbuild.build(c)));
  console.log(`built ${configs.length} bundle(s) in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
