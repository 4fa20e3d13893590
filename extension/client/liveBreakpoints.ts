/**
 * The functions a real-kernel run ("Run on a Real Kernel", liveKernel.ts) stops in besides its
 * own plan: added and removed from the editor (the function around the cursor) or from the call
 * graph (a node's context menu, or "b" on the focused node), one list per workspace. Every
 * toggle goes through toggle() here; whoever shows the list (the call graph) follows
 * onDidChange.
 */
import * as vscode from 'vscode';
import { breakpointFunction, toggleBreakpoint } from '../protocol/callGraphWebview';

/** Workspace state: the functions added, in the order they were added. */
export const EXTRA_BREAKPOINTS_KEY = 'kernelLens.live.extraBreakpoints';

export class LiveBreakpoints implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<readonly string[]>();
  readonly onDidChange = this.changed.event;
  /** Whether a run is going: a toggle then says it applies from the next run. */
  running = false;

  constructor(private readonly state: vscode.Memento) {}

  list(): string[] {
    return this.state.get<string[]>(EXTRA_BREAKPOINTS_KEY) ?? [];
  }

  /**
   * Adds a breakpoint on `name` (a function as the outline or the graph names it: a syscall's
   * `SYSCALL_DEFINE3(connect)` stops in `__do_sys_connect`), or removes it, and says which.
   */
  async toggle(name: string): Promise<void> {
    const fn = breakpointFunction(name);
    const { list, added } = toggleBreakpoint(this.list(), fn);
    await this.state.update(EXTRA_BREAKPOINTS_KEY, list);
    this.changed.fire(list);
    const note = this.running
      ? ` ${vscode.l10n.t('The run going now keeps the breakpoints it started with.')}`
      : '';
    void vscode.window.showInformationMessage(
      (added
        ? vscode.l10n.t('Kernel Lens: the next real-kernel run also stops in {0}.', fn)
        : vscode.l10n.t('Kernel Lens: {0} removed from the real-kernel breakpoints.', fn)) + note,
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
