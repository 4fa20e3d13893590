/**
 * "Kernel Lens: Open Embedded Linux 6.1 Sources": the Linux 6.1 TCP sources shipped inside the
 * extension (kernel-snippets/linux-6.1/), opened read-only, with net/socket.c in an editor.
 *
 * Why a real folder (through kernel-snippets/linux-6.1.code-workspace, whose settings mark
 * every file read-only with `files.readonlyInclude`) rather than a FileSystemProvider with
 * isReadonly: a workspace on a custom scheme loses what reading kernel code needs most:
 * Quick Open and text search need FileSearchProvider/TextSearchProvider, which are still
 * proposed API, and the language server and other C extensions would only see URIs they
 * cannot read from disk. A file: folder keeps all of that and still cannot be edited.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

/** globalState key: a file to open once the window has reloaded into the embedded workspace. */
const OPEN_AFTER_RELOAD = 'kernelLens.openAfterReload';
/** The file the command shows: where every syscall of the socket API enters. */
const FIRST_FILE = 'net/socket.c';

export function embeddedRootOf(context: vscode.ExtensionContext): string {
  return context.asAbsolutePath(join('kernel-snippets', 'linux-6.1'));
}

function workspaceFileOf(context: vscode.ExtensionContext): string {
  return context.asAbsolutePath(join('kernel-snippets', 'linux-6.1.code-workspace'));
}

/** True when this window's workspace is the embedded copy. */
export function isEmbeddedWorkspace(context: vscode.ExtensionContext): boolean {
  const root = embeddedRootOf(context);
  return (vscode.workspace.workspaceFolders ?? []).some(
    (f) => f.uri.scheme === 'file' && f.uri.fsPath === root,
  );
}

/** The command's handler. */
export async function openEmbeddedSources(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const root = embeddedRootOf(context);
  if (!existsSync(join(root, FIRST_FILE))) {
    log.error(`embedded sources missing: ${join(root, FIRST_FILE)}`);
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        'Kernel Lens: the embedded Linux 6.1 sources are missing from this installation ({0}). In a checkout, run: node dist/cli.js fetch --embedded',
        root,
      ),
    );
    return;
  }
  const first = vscode.Uri.file(join(root, FIRST_FILE));
  if (isEmbeddedWorkspace(context)) {
    await vscode.window.showTextDocument(first, { preview: false });
    return;
  }
  // Opening a workspace reloads the window; the new window's activation opens the file.
  await context.globalState.update(OPEN_AFTER_RELOAD, first.toString());
  log.info(`opening the embedded sources: ${workspaceFileOf(context)}`);
  await vscode.commands.executeCommand(
    'vscode.openFolder',
    vscode.Uri.file(workspaceFileOf(context)),
  );
}

/** On activation: finish what the command started before the window reloaded. */
export async function openPendingFile(context: vscode.ExtensionContext): Promise<void> {
  const pending = context.globalState.get<string>(OPEN_AFTER_RELOAD);
  if (!pending || !isEmbeddedWorkspace(context)) return;
  await context.globalState.update(OPEN_AFTER_RELOAD, undefined);
  await vscode.window.showTextDocument(vscode.Uri.parse(pending), { preview: false });
}
