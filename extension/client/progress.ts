/**
 * A progress notification in the window while the server indexes the tree (state
 * "indexing"), ending when it is ready, failed or stopped.
 */
import * as vscode from 'vscode';
import type { LanguageServer, ServerStatus } from './languageServer';

export function registerProgress(context: vscode.ExtensionContext, server: LanguageServer): void {
  let report: ((status: ServerStatus) => void) | undefined;
  context.subscriptions.push(
    server.onDidChangeStatus((status) => {
      if (status.state !== 'indexing') {
        report?.(status);
        return;
      }
      if (report) {
        report(status);
        return;
      }
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Kernel Lens: indexing') },
        (progress) =>
          new Promise<void>((done) => {
            let last = 0;
            report = (s) => {
              if (s.state !== 'indexing') {
                report = undefined;
                done();
                return;
              }
              const p = s.progress;
              if (!p || p.total === 0) return;
              const percent = (100 * p.done) / p.total;
              progress.report({ message: `${p.done}/${p.total}`, increment: percent - last });
              last = percent;
            };
            report(status);
          }),
      );
    }),
  );
}
