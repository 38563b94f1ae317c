// For contributors with VS Code desktop: `npx vscode-test` downloads VS Code and runs test/vscode/*.test.js
// inside it. VS Code desktop cannot be downloaded on our CI machines, so the README's test command runs the
// same workbench checks in code-server instead (npm run test:e2e).
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  files: 'out/test/vscode/**/*.test.js',
  version: '1.100.3',
  workspaceFolder: './test/fixtures/workspace',
  mocha: { ui: 'tdd', timeout: 20000 },
});
