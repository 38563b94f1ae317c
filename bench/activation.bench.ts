/**
 * Extension activation time, from the extension host's own timing ("Developer: Show Running Extensions"),
 * in code-server with the packaged .vsix. Five window loads. Writes bench-results/activation.json.
 */
import { Workbench } from '../test/e2e/harness';
import { report, summarize } from './report';

async function main(): Promise<void> {
  const wb = await Workbench.open();
  const samples: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        await wb.page.reload();
        await wb.page.waitForSelector('.monaco-workbench .activitybar', { timeout: 90000 });
      }
      await wb.page.waitForTimeout(3000);
      samples.push(await wb.activationTimeMs('Mobile AI Studio'));
    }
  } finally {
    await wb.close();
  }
  await report('activation', [summarize('extension_host_activation_ms', samples, 'ms', { max: 150 })]);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
