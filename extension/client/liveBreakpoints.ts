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
  /**
   * The run going now, if any: a toggle changes its breakpoints too (liveKernel.ts sets it for
   * the length of a run). Resolves to when the change took effect.
   */
  live: ((fn: string, on: boolean) => Promise<'now' | 'next-stop'>) | undefined;

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
    const saved = added
      ? vscode.l10n.t('Kernel Lens: the next real-kernel run also stops in {0}.', fn)
      : vscode.l10n.t('Kernel Lens: {0} removed from the real-kernel breakpoints.', fn);
    if (!this.live) {
      void vscode.window.showInformationMessage(saved);
      return;
    }
    try {
      const when = await this.live(fn, added);
      const note =
        when === 'now'
          ? added
            ? vscode.l10n.t('The running kernel stops there from now on.')
            : vscode.l10n.t('The running kernel no longer stops there.')
          : vscode.l10n.t('The running kernel takes the change at its next stop.');
      void vscode.window.showInformationMessage(`${saved} ${note}`);
    } catch (error) {
      // The list keeps the change; gdb said why the running kernel cannot (an unknown name).
      void vscode.window.showWarningMessage(
        `${saved} ${vscode.l10n.t('The running kernel could not: {0}', error instanceof Error ? error.message : String(error))}`,
      );
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
