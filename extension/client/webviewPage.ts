/**
 * The one page every Kernel Lens webview loads: its bundled script and stylesheet from
 * dist/webview only, under a CSP that allows nothing else; the script carries a fresh nonce
 * (crypto.randomBytes, not Math.random). No data in the template: each page asks for
 * everything with `ready`.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** `bundle` names dist/webview/<bundle>.js and .css, e.g. "callGraph". */
export function webviewPageHtml(
  webview: vscode.Webview,
  root: vscode.Uri,
  bundle: string,
  title: string,
): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, `${bundle}.css`));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>${title}</title>
</head>
<body>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

/**
 * A panel's side of its page: the page's HTML, the messages the page posts (checked against
 * the protocol first: what is not in it is logged and dropped, nothing else changes) and
 * whether the page listens. Neither panel keeps its page's context when hidden, so a hidden
 * page is gone until it says `ready` again: nothing may be posted to it in between.
 */
export class PageConnection<From extends { readonly type: string }, To>
  implements vscode.Disposable
{
  /** The page listens: it said `ready` and has not been hidden since. */
  ready = false;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly panel: vscode.WebviewPanel,
    options: {
      readonly extensionUri: vscode.Uri;
      /** dist/webview/<bundle>.js and .css */
      readonly bundle: string;
      readonly title: string;
      /** How the log names the page: "simulator". */
      readonly name: string;
      readonly log: vscode.LogOutputChannel;
      readonly isMessage: (raw: unknown) => raw is From;
      readonly onMessage: (message: From) => Promise<void>;
    },
  ) {
    const { name, log } = options;
    const root = vscode.Uri.joinPath(options.extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.webview.html = webviewPageHtml(panel.webview, root, options.bundle, options.title);
    this.disposables = [
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        if (!options.isMessage(raw)) {
          log.warn(
            `${name}: rejected a message from the page that is not in the protocol (nothing changed): ${JSON.stringify(raw)?.slice(0, 300)}`,
          );
          return;
        }
        if (raw.type === 'ready') this.ready = true;
        void options
          .onMessage(raw)
          .catch((err: unknown) =>
            log.error(`${name}: ${raw.type}: ${err instanceof Error ? err.message : String(err)}`),
          );
      }),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    ];
  }

  post(message: To): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
