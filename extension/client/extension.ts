/**
 * Kernel Lens's extension entry point. activate() only wires the feature modules together;
 * each registers its own commands, views and disposables.
 */
import * as vscode from 'vscode';
import { registerCallGraph } from './callGraphPanel';
import { readSettings, RESTART_KEYS } from './config';
import { registerCommands } from './commands';
import { openPendingFile } from './embeddedSources';
import { LanguageServer } from './languageServer';
import { LiveBreakpoints } from './liveBreakpoints';
import { registerLiveKernel } from './liveKernel';
import { createLog } from './log';
import { registerProgress } from './progress';
import { registerSimulator } from './simulatorPanel';
import { registerStatusBar } from './statusBar';

/** Kept for deactivate(), which must return the server's stop so VS Code waits for it. */
let running: LanguageServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = createLog(context);
  log.info(
    `Kernel Lens ${String(context.extension.packageJSON.version)} activating (${vscode.env.language})`,
  );

  const server = new LanguageServer(context, log);
  running = server;
  context.subscriptions.push(server);
  registerCommands(context, server, log);
  registerStatusBar(context, server);
  registerProgress(context, server);
  const breakpoints = new LiveBreakpoints(context.workspaceState);
  context.subscriptions.push(breakpoints);
  registerCallGraph(context, server, log, breakpoints);
  const simulator = registerSimulator(context, server, log);
  registerLiveKernel(context, log, breakpoints, simulator);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((key) => e.affectsConfiguration(key))) {
        log.info(`settings changed (${JSON.stringify(readSettings())}): restarting the server`);
        void server.restart();
      }
    }),
  );

  await openPendingFile(context);
  // Not awaited: activation must not wait on the server; the status bar follows it.
  void server.start();
}

export function deactivate(): Promise<void> | undefined {
  // Stopping twice is harmless: the disposal in context.subscriptions finds it stopped.
  return running?.stop();
}
