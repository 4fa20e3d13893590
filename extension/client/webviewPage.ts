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
