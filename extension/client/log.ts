/**
 * The "Kernel Lens" output channel: the extension's log, and the language server's too (the
 * language client writes the server's window/logMessage there).
 */
import * as vscode from 'vscode';

export function createLog(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  const log = vscode.window.createOutputChannel('Kernel Lens', { log: true });
  context.subscriptions.push(log);
  return log;
}
