/**
 * Which kernel tree Kernel Lens works on, in this order:
 * 1. the setting kernelLens.kernelRoot, when it names a kernel tree;
 * 2. the first workspace folder that is a kernel tree: a Makefile with VERSION and
 *    PATCHLEVEL, net/socket.c and include/ (the embedded copy counts as "embedded");
 * 3. the embedded Linux 6.1 sources shipped in the extension (kernel-snippets/linux-6.1/).
 */
import * as vscode from 'vscode';
import { readKernelVersion, whyNotKernelTree } from '../core/kernelTree';
import type { KernelRootInfo } from '../protocol/lsp';
import { embeddedRootOf } from './embeddedSources';
import { readSettings } from './config';

export function chooseKernelRoot(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): KernelRootInfo | undefined {
  const embedded = embeddedRootOf(context);
  const setting = readSettings().kernelRoot;
  if (setting) {
    const why = whyNotUsable(setting);
    if (!why) return info(setting, 'setting', embedded);
    log.warn(`kernelLens.kernelRoot is ignored: ${why}`);
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Kernel Lens: the setting kernelLens.kernelRoot is ignored: {0}', why),
    );
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const why = whyNotUsable(folder.uri.fsPath);
    if (!why) return info(folder.uri.fsPath, 'workspace', embedded);
    log.info(`workspace folder ${folder.uri.fsPath} is not a kernel tree: ${why}`);
  }
  if (!whyNotKernelTree(embedded)) return info(embedded, 'embedded', embedded);
  log.warn(`no kernel tree: the embedded sources are missing at ${embedded}`);
  return undefined;
}

/** Why `path` is not a kernel tree, or undefined when it is (the detection rule above). */
function whyNotUsable(path: string): string | undefined {
  const why = whyNotKernelTree(path);
  if (why) return why;
  if (!readKernelVersion(path)) return `${path}/Makefile has no VERSION and PATCHLEVEL`;
  return undefined;
}

function info(path: string, source: KernelRootInfo['source'], embedded: string): KernelRootInfo {
  const version = readKernelVersion(path)?.text;
  return {
    path,
    uri: vscode.Uri.file(path).toString(),
    ...(version ? { version } : {}),
    // A workspace that is the embedded copy itself is reported as embedded.
    source: path === embedded ? 'embedded' : source,
  };
}
