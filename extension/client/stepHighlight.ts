/**
 * The simulator's "beside the source": on each step, the editor in the other column shows the
 * step's kernel line in the open tree (embedded 6.1 or the workspace's), highlighted with a
 * whole-line decoration in the theme's colours and brought to the centre (unless it is in the
 * middle of the view already), without taking the focus from the simulator (preserveFocus), so
 * its keyboard controls keep working; when the user steps from that editor instead (the global
 * keybindings), the focus stays in the editor.
 *
 * The colours are the debugger's "current stack frame" ones (editor.stackFrameHighlightBackground
 * and its focused variant): a simulator step is a stack frame of a kernel that is not running,
 * and every theme, high contrast included, already defines them.
 *
 * Speed (issue 6 asks for step -> highlighted line within 50 ms): the work a step costs the
 * workbench is kept to what the step changes.
 * - Each label ("◀ step 14: tcp_synack_options") is a decoration type of its own, registered
 *   when the run is loaded (prepare()). Per-range render options would register a new CSS rule
 *   on every step, and a new rule makes the browser restyle the whole workbench.
 * - A step in the file already shown sends one decoration change, and a reveal only when the
 *   line is away from the middle of the view: re-centring on every step would move the code
 *   under the reader's eyes (and redraw every line) for a line already in plain sight.
 * - A step into another file opens it with the line selected, so the editor's first frame of
 *   that file is already at the line; the decoration follows in the next message.
 */
import * as vscode from 'vscode';

export interface HighlightTarget {
  readonly uri: vscode.Uri;
  readonly line: number; // 1-based
  /** Shown after the line, e.g. "◀ step 14: tcp_synack_options". */
  readonly label: string;
}

/** At most this many label types are kept (a run has a few hundred steps at most). */
const MAX_LABEL_TYPES = 1000;

export class StepHighlighter implements vscode.Disposable {
  /** One decoration type per label, in registration order (oldest first, for the cap). */
  private readonly types = new Map<string, vscode.TextEditorDecorationType>();
  /** What carries the highlight now, to move it in one change. */
  private current: { editor: vscode.TextEditor; type: vscode.TextEditorDecorationType } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      // An editor that goes out of view (switching tabs) has lost its decorations.
      vscode.window.onDidChangeVisibleTextEditors((visible) => {
        if (this.current && !visible.includes(this.current.editor)) this.current = undefined;
      }),
    );
  }

  /** Registers the decoration types of a run's labels ahead of its steps. */
  prepare(labels: Iterable<string>): void {
    for (const label of labels) this.typeOf(label);
  }

  /**
   * Shows `target` in `column` and highlights its line. Resolves once the decoration is sent.
   * Returns the milliseconds it took, for the log.
   */
  async show(
    target: HighlightTarget,
    column: vscode.ViewColumn,
    takeFocus = false,
  ): Promise<number> {
    const started = performance.now();
    const line = Math.max(0, target.line - 1);
    const range = new vscode.Range(line, 0, line, 0);
    const type = this.typeOf(target.label);
    // The editor that already shows this file in that column is reused as it is; otherwise
    // showTextDocument opens it there (as a preview, so stepping does not pile up tabs), with
    // the cursor on the line: the editor's first frame of the file is then already there.
    let editor = vscode.window.visibleTextEditors.find(
      (e) => e.viewColumn === column && e.document.uri.toString() === target.uri.toString(),
    );
    if (!editor) {
      // The focus stays where it is (the simulator's page, the palette, a terminal), unless the
      // caller knows the user steps from the editor this file replaces (`takeFocus`).
      editor = await vscode.window.showTextDocument(target.uri, {
        viewColumn: column,
        preserveFocus: !takeFocus,
        preview: true,
        selection: range,
      });
    }
    const previous = this.current;
    if (previous && (previous.editor !== editor || previous.type !== type))
      previous.editor.setDecorations(previous.type, []);
    editor.setDecorations(type, [range]);
    if (!nearCentre(editor, line)) editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    this.current = { editor, type };
    const ms = performance.now() - started;
    this.log.trace(
      `simulator: ${target.uri.fsPath}:${target.line} highlighted in ${ms.toFixed(1)} ms`,
    );
    return ms;
  }

  /** Removes the highlight (the simulator closed). */
  clear(): void {
    this.current?.editor.setDecorations(this.current.type, []);
    this.current = undefined;
  }

  dispose(): void {
    this.clear();
    for (const t of this.types.values()) t.dispose();
    this.types.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private typeOf(label: string): vscode.TextEditorDecorationType {
    const known = this.types.get(label);
    if (known) return known;
    if (this.types.size >= MAX_LABEL_TYPES) this.evictOldest();
    const type = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.focusedStackFrameHighlightBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Full,
      // High contrast themes draw the border (contrastActiveBorder is unset in the others).
      borderColor: new vscode.ThemeColor('contrastActiveBorder'),
      borderStyle: 'solid',
      borderWidth: '1px 0',
      after: {
        contentText: label,
        color: new vscode.ThemeColor('editorCodeLens.foreground'),
        margin: '0 0 0 2em',
        fontStyle: 'italic',
      },
    });
    this.types.set(label, type);
    return type;
  }

  /** Drops the oldest label type that does not carry the highlight now. */
  private evictOldest(): void {
    for (const [label, type] of this.types) {
      if (type === this.current?.type) continue;
      type.dispose();
      this.types.delete(label);
      return;
    }
  }
}

/** The middle share of the view where a highlighted line counts as centred. */
const CENTRE_BAND = 0.5;

/** Whether the 0-based `line` is in the middle half of what the editor shows. */
function nearCentre(editor: vscode.TextEditor, line: number): boolean {
  const visible = editor.visibleRanges;
  const first = visible[0]?.start.line;
  const last = visible[visible.length - 1]?.end.line;
  if (first === undefined || last === undefined) return false;
  const margin = ((last - first) * (1 - CENTRE_BAND)) / 2;
  return line >= first + margin && line <= last - margin;
}
