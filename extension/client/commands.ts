/**
 * Every Kernel Lens command. All are registered at activation, whether the server runs or
 * not; a command that needs the server says so when used while it is down, instead of being
 * missing from the palette (rust-analyzer's CommandFactory { enabled, disabled } idea).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { getIndexStatus } from '../protocol/lsp';
import { openEmbeddedSources } from './embeddedSources';
import type { LanguageServer } from './languageServer';

/** Command IDs, as contributed in package.json. */
export const COMMANDS = {
  openEmbeddedSources: 'kernelLens.openEmbeddedSources',
  showLog: 'kernelLens.showLog',
  restartServer: 'kernelLens.restartServer',
  stopServer: 'kernelLens.stopServer',
  showIndexStatus: 'kernelLens.showIndexStatus',
} as const;

type Command =
  | { readonly needsServer: false; run(): Promise<void> | void }
  | { readonly needsServer: true; run(client: LanguageClient): Promise<void> | void };

export function registerCommands(
  context: vscode.ExtensionContext,
  server: LanguageServer,
  log: vscode.LogOutputChannel,
): void {
  const commands: Record<string, Command> = {
    [COMMANDS.openEmbeddedSources]: {
      needsServer: false,
      run: () => openEmbeddedSources(context, log),
    },
    [COMMANDS.showLog]: { needsServer: false, run: () => log.show() },
    [COMMANDS.restartServer]: { needsServer: false, run: () => server.restart() },
    [COMMANDS.stopServer]: { needsServer: true, run: () => server.stop() },
    [COMMANDS.showIndexStatus]: {
      needsServer: true,
      async run(client) {
        const status = await client.sendRequest(getIndexStatus);
        const root = status.root
          ? vscode.l10n.t(
              'Linux {0} at {1} ({2})',
              status.root.version ?? '?',
              status.root.path,
              status.root.source,
            )
          : vscode.l10n.t('No kernel tree');
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Kernel Lens: {0}. {1}', status.state, root),
        );
      },
    },
  };
  for (const [id, command] of Object.entries(commands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        if (!command.needsServer) return command.run();
        const client = server.client;
        if (client) return command.run(client);
        log.warn(`${id}: the language server is not running`);
        const restart = vscode.l10n.t('Restart Server');
        const choice = await vscode.window.showWarningMessage(
          vscode.l10n.t(
            'Kernel Lens: the language server is not running, so this command cannot run now.',
          ),
          restart,
        );
        if (choice === restart) await server.restart();
      }),
    );
  }
}
