/**
 * `npm start` (after `npm run package`): opens Kernel Lens for a person, on the embedded
 * Linux 6.1 sources.
 * - With `code` on the PATH: installs kernel-lens.vsix into VS Code and opens the embedded
 *   sources' workspace there.
 * - Otherwise: code-server on 127.0.0.1 (installed and cached by test/setup/tier-e2e.sh) with
 *   a profile kept in ~/.cache/kernel-lens/start-profile/, the .vsix installed, and the URL
 *   printed. Ctrl+C stops it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheHome, packageRoot } from '../kernelSources/paths';
import { ensureCodeServer, installExtension, makeProfile, startCodeServer } from './codeServer';

const root = packageRoot();
const vsix = join(root, 'kernel-lens.vsix');
const workspace = join(root, 'kernel-snippets', 'linux-6.1.code-workspace');

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first`);
  if (process.env['KERNEL_LENS_NO_CODE'] !== '1' && onPath('code')) {
    execFileSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
    execFileSync('code', [workspace], { stdio: 'inherit' });
    console.log(`Opened ${workspace} in VS Code with Kernel Lens installed.`);
    return;
  }
  ensureCodeServer();
  const profile = makeProfile(join(cacheHome(), 'start-profile'));
  await installExtension(profile, vsix);
  const port = Number(process.env['PORT'] ?? 0) || undefined;
  const server = await startCodeServer(profile, { ...(port ? { port } : {}), inherit: true });
  console.log(
    `\nKernel Lens in code-server: ${server.url}/?workspace=${encodeURIComponent(workspace)}\n` +
      '(Ctrl+C stops it.)',
  );
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
