/**
 * The simulator's "beside the source": on each step, the editor in the other column shows the
 * step's kernel line in the open tree (embedded 6.1 or the workspace's), highlighted with a
 * whole-line decoration in the theme's colours and revealed in the centre, without taking
 * the focus from the simulator (preserveFocus), so its keyboard controls keep working.
 *
 * The colours are the debugger's "current stack frame" ones (editor.stackFrameHighlightBackground
 * and its focused variant): a simulator step is a stack frame of a kernel that is not running,
 * and every theme, high contrast included, already defines them.
 */
import * as vscode from 'vscode';

export interface HighlightTarget {
  readonly uri: vscode.Uri;
  readonly line: number; // 1-based
  /** Shown after the line, e.g. "◀ step 14: tcp_synack_options". */
  readonly label: string;
}

export class StepHighlighter implements vscode.Disposable {
  private readonly lineType = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.focusedStackFrameHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
    // High contrast themes draw the border (contrastActiveBorder is unset in the others).
    borderColor: new vscode.ThemeColor('contrastActiveBorder'),
    borderStyle: 'solid',
    borderWidth: '1px 0',
    after: {
      color: new vscode.ThemeColor('editorCodeLens.foreground'),
      margin: '0 0 0 2em',
      fontStyle: 'italic',
    },
  });
  /** Editors that carry the decoration now, to clear it when the step moves elsewhere. */
  private decorated = new Set<vscode.TextEditor>();
  private readonly disposables: vscode.Disposable[] = [this.lineType];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      // An editor that comes back (switching tabs) has lost its decorations: drop it.
      vscode.window.onDidChangeVisibleTextEditors((visible) => {
        for (const e of this.decorated) if (!visible.includes(e)) this.decorated.delete(e);
      }),
    );
  }

  /**
   * Shows `target` in `column` and highlights its line. Resolves once the decoration is set.
   * Returns the milliseconds it took, for the log.
   */
  async show(target: HighlightTarget, column: vscode.ViewColumn): Promise<number> {
    const started = performance.now();
    const line = Math.max(0, target.line - 1);
    const range = new vscode.Range(line, 0, line, 0);
    // The editor that already shows this file in that column is reused as it is; otherwise
    // showTextDocument opens it there (as a preview, so stepping does not pile up tabs).
    let editor = vscode.window.visibleTextEditors.find(
      (e) => e.viewColumn === column && e.document.uri.toString() === target.uri.toString(),
    );
    if (!editor) {
      editor = await vscode.window.showTextDocument(target.uri, {
        viewColumn: column,
        preserveFocus: true,
        preview: true,
      });
    }
    for (const other of this.decorated)
      if (other !== editor) other.setDecorations(this.lineType, []);
    this.decorated = new Set([editor]);
    editor.setDecorations(this.lineType, [
      { range, renderOptions: { after: { contentText: target.label } } },
    ]);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    const ms = performance.now() - started;
    this.log.trace(
      `simulator: ${target.uri.fsPath}:${target.line} highlighted in ${ms.toFixed(1)} ms`,
    );
    return ms;
  }

  /** Removes the highlight (the simulator closed). */
  clear(): void {
    for (const e of this.decorated) e.setDecorations(this.lineType, []);
    this.decorated.clear();
  }

  dispose(): void {
    this.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
