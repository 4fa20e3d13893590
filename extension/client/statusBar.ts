/** The status bar item: where the server's work on the kernel tree stands. Click: the log. */
import * as vscode from 'vscode';
import { COMMANDS } from './commands';
import type { LanguageServer, ServerStatus } from './languageServer';

export function registerStatusBar(context: vscode.ExtensionContext, server: LanguageServer): void {
  const item = vscode.window.createStatusBarItem(
    'kernelLens.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  item.name = vscode.l10n.t('Kernel Lens Index');
  item.command = COMMANDS.showLog;
  context.subscriptions.push(
    item,
    server.onDidChangeStatus((s) => render(item, s)),
  );
  render(item, server.status);
  item.show();
}

function render(item: vscode.StatusBarItem, status: ServerStatus): void {
  const root = 'root' in status ? status.root : undefined;
  const version = root?.version ?? '?';
  item.backgroundColor = undefined;
  switch (status.state) {
    case 'starting':
      item.text = `$(loading~spin) ${vscode.l10n.t('Kernel Lens: starting')}`;
      break;
    case 'indexing': {
      const p = status.progress;
      item.text = `$(loading~spin) ${
        p && p.total > 0
          ? vscode.l10n.t('Kernel Lens: indexing {0}/{1}', p.done, p.total)
          : vscode.l10n.t('Kernel Lens: indexing')
      }`;
      break;
    }
    case 'ready':
      item.text =
        status.scope === 'tree'
          ? `$(check) ${vscode.l10n.t('Kernel Lens: Linux {0} indexed ({1} files)', version, status.files ?? 0)}`
          : `$(check) ${vscode.l10n.t('Kernel Lens: Linux {0}, syntax only', version)}`;
      break;
    case 'failed':
      item.text = `$(error) ${vscode.l10n.t('Kernel Lens: failed')}`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      break;
    case 'stopped':
      item.text = `$(circle-slash) ${vscode.l10n.t('Kernel Lens: server stopped')}`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      break;
  }
  const lines = [
    root
      ? vscode.l10n.t('Kernel tree: {0} ({1})', root.path, root.source)
      : vscode.l10n.t('No kernel tree'),
  ];
  if (status.message) lines.push(status.message);
  lines.push(vscode.l10n.t('Click to show the log.'));
  item.tooltip = lines.join('\n');
}
