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
 * - That open is VS Code switching the editor's file, which costs about as much as switching
 *   tabs by hand (130-150 ms measured in code-server on this project's machines), so the one
 *   way under it is to have the file on screen before the step: the "next" mark (showNext)
 *   puts the next step's line, faintly, in a second editor (see nextStepPane.ts) while the
 *   reader reads the current one; the step then only moves a decoration.
 */
import * as vscode from 'vscode';

export interface HighlightTarget {
  readonly uri: vscode.Uri;
  readonly line: number; // 1-based
  /** Shown after the line, e.g. "◀ step 14: tcp_synack_options". */
  readonly label: string;
}

/**
 * The step that runs now, or the one after it (shown faintly, where the next step will be:
 * the reader sees where the code goes, and the step finds its file already on screen).
 */
export type MarkRole = 'current' | 'next';

interface Mark {
  readonly editor: vscode.TextEditor;
  readonly type: vscode.TextEditorDecorationType;
}

/** At most this many label types are kept per role (a run has a few hundred steps at most). */
const MAX_LABEL_TYPES = 1000;

export class StepHighlighter implements vscode.Disposable {
  /** Per role, one decoration type per label, in registration order (oldest first, for the cap). */
  private readonly types: Record<MarkRole, Map<string, vscode.TextEditorDecorationType>> = {
    current: new Map(),
    next: new Map(),
  };
  /** What carries each mark now, to move it in one change. */
  private readonly marks: Record<MarkRole, Mark | undefined> = {
    current: undefined,
    next: undefined,
  };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      // An editor that goes out of view (switching tabs) has lost its decorations.
      vscode.window.onDidChangeVisibleTextEditors((visible) => {
        for (const role of ROLES) {
          const mark = this.marks[role];
          if (mark && !visible.includes(mark.editor)) this.marks[role] = undefined;
        }
      }),
    );
  }

  /** Registers the decoration types of a run's labels ahead of its steps. */
  prepare(labels: Iterable<string>, role: MarkRole = 'current'): void {
    for (const label of labels) this.typeOf(label, role);
  }

  /** The column the current mark is in, if it is on screen. */
  get currentColumn(): vscode.ViewColumn | undefined {
    return this.marks.current?.editor.viewColumn;
  }

  /** Whether the editor in `column` shows `uri` with the 0-based `line` in view. */
  showsInView(column: vscode.ViewColumn, uri: vscode.Uri, line: number): boolean {
    const editor = editorIn(column, uri);
    return editor !== undefined && inView(editor, line);
  }

  /**
   * Of `columns`, the first whose editor shows `uri`; one that has `line` (0-based) in view
   * wins over one that does not.
   */
  columnShowing(
    uri: vscode.Uri,
    line: number,
    columns: readonly vscode.ViewColumn[],
  ): vscode.ViewColumn | undefined {
    const showing = columns.flatMap((column) => {
      const editor = editorIn(column, uri);
      return editor ? [{ column, inView: inView(editor, line) }] : [];
    });
    return (showing.find((s) => s.inView) ?? showing[0])?.column;
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
    await this.place('current', target, column, {
      preserveFocus: !takeFocus,
      reveal: true,
    });
    const ms = performance.now() - started;
    this.log.trace(
      `simulator: ${target.uri.fsPath}:${target.line} highlighted in ${ms.toFixed(1)} ms`,
    );
    return ms;
  }

  /**
   * Marks the next step's line in `column`, opening its file there if that editor shows
   * another. Never takes the focus. The view moves to the line only when that editor does not
   * carry the current mark too: the line that runs now stays where the reader looks.
   */
  async showNext(target: HighlightTarget, column: vscode.ViewColumn): Promise<void> {
    const sharesCurrent = this.marks.current?.editor.viewColumn === column;
    await this.place('next', target, column, { preserveFocus: true, reveal: !sharesCurrent });
  }

  /** Removes the next step's mark (no next step, or the second editor was turned off). */
  clearNext(): void {
    this.unmark('next');
  }

  /** Removes both marks (the simulator closed). */
  clear(): void {
    for (const role of ROLES) this.unmark(role);
  }

  dispose(): void {
    this.clear();
    for (const role of ROLES) {
      for (const t of this.types[role].values()) t.dispose();
      this.types[role].clear();
    }
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /**
   * Puts `role`'s mark on the target's line in `column`. The editor that already shows the
   * file there is reused as it is; otherwise showTextDocument opens it there (as a preview, so
   * stepping does not pile up tabs), with the cursor on the line: the editor's first frame of
   * the file is then already there.
   */
  private async place(
    role: MarkRole,
    target: HighlightTarget,
    column: vscode.ViewColumn,
    how: { preserveFocus: boolean; reveal: boolean },
  ): Promise<vscode.TextEditor> {
    const line = Math.max(0, target.line - 1);
    const range = new vscode.Range(line, 0, line, 0);
    const type = this.typeOf(target.label, role);
    // The focus stays where it is (the simulator's page, the palette, a terminal), unless the
    // caller knows the user steps from the editor this file replaces.
    const editor =
      editorIn(column, target.uri) ??
      (await vscode.window.showTextDocument(target.uri, {
        viewColumn: column,
        preserveFocus: how.preserveFocus,
        preview: true,
        selection: range,
      }));
    const previous = this.marks[role];
    if (previous && (previous.editor !== editor || previous.type !== type))
      previous.editor.setDecorations(previous.type, []);
    editor.setDecorations(type, [range]);
    if (how.reveal && !nearCentre(editor, line))
      editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    this.marks[role] = { editor, type };
    return editor;
  }

  private unmark(role: MarkRole): void {
    const mark = this.marks[role];
    mark?.editor.setDecorations(mark.type, []);
    this.marks[role] = undefined;
  }

  private typeOf(label: string, role: MarkRole): vscode.TextEditorDecorationType {
    const types = this.types[role];
    const known = types.get(label);
    if (known) return known;
    if (types.size >= MAX_LABEL_TYPES) this.evictOldest(role);
    const type = vscode.window.createTextEditorDecorationType(
      role === 'current' ? currentStyle(label) : nextStyle(label),
    );
    types.set(label, type);
    return type;
  }

  /** Drops the oldest label type of `role` that does not carry its mark now. */
  private evictOldest(role: MarkRole): void {
    const types = this.types[role];
    for (const [label, type] of types) {
      if (type === this.marks[role]?.type) continue;
      type.dispose();
      types.delete(label);
      return;
    }
  }
}

const ROLES: readonly MarkRole[] = ['current', 'next'];

/** The line that runs: the debugger's focused-frame colours, full width in the overview ruler. */
function currentStyle(label: string): vscode.DecorationRenderOptions {
  return {
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
  };
}

/**
 * The line that runs next: the faint range-highlight background (Go to Line's), a dashed
 * border in high contrast themes, so it never reads as the line that runs.
 */
function nextStyle(label: string): vscode.DecorationRenderOptions {
  return {
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    borderColor: new vscode.ThemeColor('contrastActiveBorder'),
    borderStyle: 'dashed',
    borderWidth: '1px 0',
    after: {
      contentText: label,
      color: new vscode.ThemeColor('editorCodeLens.foreground'),
      margin: '0 0 0 2em',
    },
  };
}

/** The visible editor in `column` showing `uri`. */
function editorIn(column: vscode.ViewColumn, uri: vscode.Uri): vscode.TextEditor | undefined {
  const key = uri.toString();
  return vscode.window.visibleTextEditors.find(
    (e) => e.viewColumn === column && e.document.uri.toString() === key,
  );
}

/** Whether the 0-based `line` is among the lines the editor shows. */
function inView(editor: vscode.TextEditor, line: number): boolean {
  return editor.visibleRanges.some((r) => r.start.line <= line && line <= r.end.line);
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
