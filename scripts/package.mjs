// Makes a linux-x64 .vsix: production bundles plus the native modules (onnxruntime-node for linux-x64, sharp).
//   node scripts/package.mjs [--target linux-x64]
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const i = process.argv.indexOf('--target');
const target = i > 0 ? process.argv[i + 1] : 'linux-x64';
if (target !== 'linux-x64') {
  console.error(`only linux-x64 is packaged today (asked for ${target}); .vscodeignore keeps that platform's native binaries`);
  process.exit(2);
}
const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, `${name}-${version}-${target}.vsix`);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--target', target, '--allow-missing-repository', '--skip-license', '--out', out], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(out);
