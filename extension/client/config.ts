/**
 * Typed access to the `kernelLens.*` settings declared in package.json. To add a setting:
 * package.json `contributes.configuration` (+ package.nls*.json) → a getter here → pass it to
 * the server through InitializationOptions (extension/protocol/lsp.ts) if the server needs it
 * → add its key to RESTART_KEYS when a change needs a new server.
 */
import * as vscode from 'vscode';

export interface Settings {
  /** kernelLens.kernelRoot: a kernel tree to use instead of the detected one; "" = detect. */
  readonly kernelRoot: string;
  /** kernelLens.server.parseTimeoutMs */
  readonly parseTimeoutMs: number;
  /** kernelLens.profile: the dispatch profile, e.g. "tcp-ipv4"; "none" = every candidate. */
  readonly profile: string;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration('kernelLens');
  return {
    kernelRoot: config.get<string>('kernelRoot', '').trim(),
    parseTimeoutMs: config.get<number>('server.parseTimeoutMs', 5000),
    profile: config.get<string>('profile', 'tcp-ipv4').trim() || 'tcp-ipv4',
  };
}

/** Settings the server reads only at start: changing one restarts it. */
export const RESTART_KEYS = [
  'kernelLens.kernelRoot',
  'kernelLens.server.parseTimeoutMs',
  'kernelLens.profile',
];
