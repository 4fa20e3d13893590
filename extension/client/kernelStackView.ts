/**
 * The simulator's "Kernel Stack" view: the frames of the step the simulator shows (function,
 * file:line in the open tree), innermost first as debuggers list them; clicking a frame opens
 * its line beside the simulator.
 *
 * Its own view (kernelLens.simulatorStack), not the live run's kernelLens.kernelStack
 * (liveKernel.ts): that one lists a real backtrace from gdb, and a view has one data provider.
 * It shows while a simulator panel is open (context key kernelLens.simulatorOpen).
 */
import * as vscode from 'vscode';
import type { FrameView } from '../protocol/simulatorWebview';

export const SIMULATOR_STACK_VIEW = 'kernelLens.simulatorStack';
/** Hidden command of the view's rows: (frame index in the step's stack). */
export const OPEN_FRAME_COMMAND = 'kernelLens.simulator.openFrame';

interface Row {
  readonly frame: FrameView;
  /** Index in the step's frames (outermost first). */
  readonly index: number;
  readonly innermost: boolean;
}

export class SimulatorStackView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private frames: readonly FrameView[] = [];
  private title = '';
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Row>;

  constructor() {
    this.view = vscode.window.createTreeView(SIMULATOR_STACK_VIEW, {
      treeDataProvider: this,
      showCollapseAll: false,
    });
  }

  /** Shows a step's frames; `title` names the step, e.g. "Step 14 of 40: server send". */
  show(frames: readonly FrameView[], title: string): void {
    this.frames = frames;
    this.title = title;
    this.view.description = title;
    this.changed.fire(undefined);
  }

  clear(): void {
    this.show([], '');
  }

  getChildren(row?: Row): Row[] {
    if (row) return [];
    const last = this.frames.length - 1;
    return this.frames
      .map((frame, index) => ({ frame, index, innermost: index === last }))
      .reverse();
  }

  getTreeItem(row: Row): vscode.TreeItem {
    const f = row.frame;
    const item = new vscode.TreeItem(f.function);
    item.description = f.file
      ? `${f.file}:${f.line ?? '?'}`
      : vscode.l10n.t('not found in this tree');
    item.tooltip = f.unresolved
      ? vscode.l10n.t('{0}: not found in this tree ({1})', f.function, f.unresolved)
      : `${this.title}\n${f.function} · ${f.file ?? ''}:${f.line ?? ''}`;
    item.iconPath = new vscode.ThemeIcon(
      row.innermost ? 'debug-stackframe' : 'debug-stackframe-dot',
    );
    if (f.file) {
      item.command = {
        command: OPEN_FRAME_COMMAND,
        title: vscode.l10n.t('Open Stack Frame'),
        arguments: [row.index],
      };
    }
    return item;
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}
