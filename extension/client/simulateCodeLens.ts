/**
 * A "Simulate" CodeLens above the definitions the handshake simulator can show running: the
 * syscall entries of the socket API (SYSCALL_DEFINEn(socket|bind|listen|accept|accept4|connect))
 * and every kernel function the simulator's code points name (kernel-snippets/simulator/
 * anchors.json: tcp_v4_connect, tcp_conn_request, tcp_check_req, inet_csk_accept, ...).
 * It opens the simulator at the first step that runs that function (simulatorPanel.ts).
 *
 * Where the lenses go is a text scan (extension/simulatorHost/lensSites.ts), so they show at
 * once, before the language server has indexed the tree.
 */
import * as vscode from 'vscode';
import { lensSites } from '../simulatorHost/lensSites';

export class SimulateCodeLens implements vscode.CodeLensProvider {
  constructor(
    private readonly functions: () => ReadonlySet<string>,
    private readonly command: string,
  ) {}

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return lensSites(document.getText(), this.functions()).map((site) => {
      const name = site.target.kind === 'syscall' ? `${site.target.name}()` : site.target.name;
      return new vscode.CodeLens(new vscode.Range(site.line, 0, site.line, 0), {
        title: vscode.l10n.t('$(debug-start) Simulate {0}', name),
        tooltip: vscode.l10n.t(
          'Open the handshake simulator at the first step that runs {0}',
          name,
        ),
        command: this.command,
        arguments: [site.target],
      });
    });
  }
}

/** Registers the provider for C files on disk (the open tree, embedded or a workspace's). */
export function registerSimulateCodeLens(
  context: vscode.ExtensionContext,
  functions: () => ReadonlySet<string>,
  command: string,
): void {
  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider(
      { scheme: 'file', language: 'c' },
      new SimulateCodeLens(functions, command),
    ),
  );
}
