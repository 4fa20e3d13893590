/**
 * "Kernel Lens: Run on a Real Kernel" (issue 7): the test program runs on Debian's Linux 6.1 in
 * QEMU under gdb (extension/live/, node-side); each stop shows the real backtrace in the
 * Kernel Stack view, and the editor beside opens the source tree of the same version with the
 * line where the kernel stopped highlighted. Continue, step over/into/out and stop.
 *
 * One run at a time. QEMU and gdb are ended on Stop, on cancel, on error and on deactivate
 * (context.subscriptions); extension/live/processes.ts also kills their process groups when
 * the extension host exits.
 */
import * as vscode from 'vscode';
import { programSource } from '../live/initramfs';
import { LiveSession, type Step } from '../live/session';
import { defaultFunctions } from '../live/stops';
import type { Frame, Stop } from '../live/stops';

export const KERNEL_STACK_VIEW = 'kernelLens.kernelStack';

/** Command IDs, as contributed in package.json. */
export const LIVE_COMMANDS = {
  run: 'kernelLens.runOnRealKernel',
  continue: 'kernelLens.live.continue',
  stepOver: 'kernelLens.live.stepOver',
  stepInto: 'kernelLens.live.stepInto',
  stepOut: 'kernelLens.live.stepOut',
  stop: 'kernelLens.live.stop',
  openFrame: 'kernelLens.live.openFrame',
  toggleBreakpoint: 'kernelLens.live.toggleBreakpoint',
} as const;

/** Workspace state: functions the user added to the live run's breakpoints from the editor. */
const EXTRA_BREAKPOINTS_KEY = 'kernelLens.live.extraBreakpoints';

/** Context key for the view's title buttons and the palette: a run waits at a stop. */
const RUNNING_KEY = 'kernelLens.liveRunning';

// --- the Kernel Stack view

type Row =
  | { readonly kind: 'task'; readonly stop: Stop }
  | { readonly kind: 'frame'; readonly frame: Frame; readonly top: boolean }
  | { readonly kind: 'program' };

class KernelStackTree implements vscode.TreeDataProvider<Row> {
  private stop: Stop | undefined;
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  show(stop: Stop | undefined): void {
    this.stop = stop;
    this.changed.fire(undefined);
  }

  getChildren(row?: Row): Row[] {
    if (row || !this.stop) return [];
    return [
      { kind: 'task', stop: this.stop },
      ...this.stop.backtrace.map((frame, i) => ({ kind: 'frame' as const, frame, top: i === 0 })),
      { kind: 'program' },
    ];
  }

  getTreeItem(row: Row): vscode.TreeItem {
    switch (row.kind) {
      case 'task': {
        const s = row.stop;
        const item = new vscode.TreeItem(
          vscode.l10n.t('{0} in {1} (pid {2})', s.function, s.task.comm, String(s.task.pid)),
        );
        item.description = [
          s.socketState ? `sk ${s.socketState}` : '',
          s.segment ? `segment ${s.segment}` : '',
        ]
          .filter((x) => x)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon('debug-breakpoint-function');
        item.tooltip = vscode.l10n.t(
          'Stop {0}: the task running when the kernel stopped, and the state of its socket',
          String(s.seq + 1),
        );
        return item;
      }
      case 'frame': {
        const f = row.frame;
        const item = new vscode.TreeItem(f.func);
        item.description = f.file ? `${f.file}:${f.line ?? '?'}` : f.addr;
        item.iconPath = new vscode.ThemeIcon(row.top ? 'debug-stackframe' : 'debug-stackframe-dot');
        if (f.fullname && f.line) {
          item.command = {
            command: LIVE_COMMANDS.openFrame,
            title: vscode.l10n.t('Open'),
            arguments: [f],
          };
        }
        return item;
      }
      case 'program': {
        const item = new vscode.TreeItem(vscode.l10n.t('The program the kernel runs'));
        item.description = 'kl-live.c';
        item.iconPath = new vscode.ThemeIcon('file-code');
        item.command = {
          command: 'vscode.open',
          title: vscode.l10n.t('Open'),
          arguments: [vscode.Uri.file(programSource())],
        };
        return item;
      }
    }
  }
}

// --- the run

class LiveRun implements vscode.Disposable {
  private session: LiveSession | undefined;
  private busy = false;
  private readonly tree = new KernelStackTree();
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });

  constructor(private readonly log: vscode.LogOutputChannel) {}

  register(context: vscode.ExtensionContext): void {
    const view = vscode.window.createTreeView(KERNEL_STACK_VIEW, { treeDataProvider: this.tree });
    const command = (id: string, run: (...args: never[]) => unknown): vscode.Disposable =>
      vscode.commands.registerCommand(id, run);
    context.subscriptions.push(
      this,
      view,
      this.highlight,
      command(LIVE_COMMANDS.run, () => this.start()),
      command(LIVE_COMMANDS.continue, () => this.advance(() => this.session!.continue())),
      command(LIVE_COMMANDS.stepOver, () => this.advance(() => this.session!.step('next'))),
      command(LIVE_COMMANDS.stepInto, () => this.advance(() => this.session!.step('step'))),
      command(LIVE_COMMANDS.stepOut, () => this.advance(() => this.session!.step('finish'))),
      command(LIVE_COMMANDS.stop, () =>
        this.stop(vscode.l10n.t('Kernel Lens: the real kernel was stopped.')),
      ),
      command(LIVE_COMMANDS.openFrame, (frame: Frame) => this.showFrame(frame, false)),
      command(LIVE_COMMANDS.toggleBreakpoint, () => this.toggleBreakpoint(context.workspaceState)),
    );
    this.state = context.workspaceState;
  }

  private state: vscode.Memento | undefined;

  /** Functions added from the editor, kept per workspace for the next run. */
  private extraBreakpoints(): string[] {
    return this.state?.get<string[]>(EXTRA_BREAKPOINTS_KEY) ?? [];
  }

  /**
   * Adds the function around the cursor to the next run's breakpoints, or removes it. The
   * function comes from the language server's outline (a syscall's body is the kernel's
   * `__do_sys_<name>`); gdb checks the name exists when the run starts.
   */
  private async toggleBreakpoint(state: vscode.Memento): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Kernel Lens: open a kernel C file and put the cursor in a function.'),
      );
      return;
    }
    const symbols =
      (await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>(
        'vscode.executeDocumentSymbolProvider',
        editor.document.uri,
      )) ?? [];
    const at = editor.selection.active;
    const fn = symbols.find((s) => s.kind === vscode.SymbolKind.Function && s.range.contains(at));
    if (!fn) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Kernel Lens: the cursor is not inside a function.'),
      );
      return;
    }
    const syscall = /^(?:COMPAT_)?SYSCALL_DEFINE\d\((\w+)\)$/.exec(fn.name);
    const name = syscall ? `__do_sys_${syscall[1]}` : fn.name;
    const extra = this.extraBreakpoints();
    const removing = extra.includes(name);
    await state.update(
      EXTRA_BREAKPOINTS_KEY,
      removing ? extra.filter((f) => f !== name) : [...extra, name],
    );
    void vscode.window.showInformationMessage(
      removing
        ? vscode.l10n.t('Kernel Lens: {0} removed from the real-kernel breakpoints.', name)
        : vscode.l10n.t('Kernel Lens: the next real-kernel run also stops in {0}.', name),
    );
  }

  private async start(): Promise<void> {
    if (this.session || this.busy) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Kernel Lens: a real kernel is already running; stop it first.'),
      );
      return;
    }
    this.busy = true;
    try {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Kernel Lens: Run on a Real Kernel'),
          cancellable: true,
        },
        async (progress, token) => {
          const report = (message: string): void => {
            this.log.info(`live: ${message}`);
            progress.report({ message });
          };
          const extra = this.extraBreakpoints().filter((f) => !defaultFunctions().includes(f));
          const starting = LiveSession.start({
            mode: 'handshake',
            log: report,
            ...(extra.length ? { functions: [...defaultFunctions(), ...extra] } : {}),
          });
          // Cancelling ends QEMU and gdb as soon as they exist; what they were doing then
          // fails, and that failure is the cancel, not an error to show.
          const cancelled = token.onCancellationRequested(() => {
            void starting.then(
              (s) => s.dispose(),
              () => undefined,
            );
          });
          try {
            const session = await starting;
            if (token.isCancellationRequested) return;
            this.session = session;
            this.log.info(
              `live: kernel ${session.kernel.release} (${session.kernel.version}), sources ${session.kernel.sourceTree}`,
            );
            report(
              vscode.l10n.t('booting Linux {0} and running the program…', session.kernel.version),
            );
            await this.show(await session.continue());
          } catch (error) {
            if (!token.isCancellationRequested) throw error;
            this.log.info('live: cancelled');
            await this.stop(undefined);
          } finally {
            cancelled.dispose();
          }
        },
      );
    } catch (error) {
      await this.fail(error);
    } finally {
      this.busy = false;
    }
  }

  /** Continue or step, then show where the kernel stopped. */
  private async advance(go: () => Promise<Step>): Promise<void> {
    if (!this.session) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Kernel Lens: no real kernel is running. Use "Run on a Real Kernel" first.'),
      );
      return;
    }
    if (this.busy) return;
    this.busy = true;
    try {
      await this.show(await go());
    } catch (error) {
      await this.fail(error);
    } finally {
      this.busy = false;
    }
  }

  private async show(step: Step): Promise<void> {
    if (step.kind === 'exited') {
      const lines =
        this.session
          ?.serialOutput()
          .split('\n')
          .filter((l) => l.includes('kl-live:')) ?? [];
      for (const line of lines) this.log.info(`guest: ${line.trim()}`);
      await this.stop(
        vscode.l10n.t('Kernel Lens: the program finished and the guest powered off.'),
      );
      return;
    }
    const stop = step.stop;
    this.log.info(
      `live: stop ${stop.seq + 1}: ${stop.function} ${stop.frame.file ?? '?'}:${stop.frame.line ?? '?'} ` +
        `[${stop.task.comm} ${stop.task.pid}]${stop.socketState ? ` sk=${stop.socketState}` : ''}` +
        `${stop.segment ? ` seg=${stop.segment}` : ''} (${stop.ms} ms)`,
    );
    await vscode.commands.executeCommand('setContext', RUNNING_KEY, true);
    this.tree.show(stop);
    await vscode.commands.executeCommand(`${KERNEL_STACK_VIEW}.focus`);
    await this.showFrame(stop.frame, true);
  }

  /** Opens the frame's source beside, highlighting its line (only the innermost frame's stays). */
  private async showFrame(frame: Frame, current: boolean): Promise<void> {
    if (!frame.fullname || !frame.line) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(frame.fullname));
    const line = Math.min(frame.line - 1, document.lineCount - 1);
    const range = new vscode.Range(line, 0, line, 0);
    const editor = await vscode.window.showTextDocument(document, {
      viewColumn: vscode.ViewColumn.Beside,
      preserveFocus: true,
      preview: true,
      selection: range,
    });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    if (current) {
      for (const other of vscode.window.visibleTextEditors)
        other.setDecorations(this.highlight, []);
      editor.setDecorations(this.highlight, [range]);
    }
  }

  private async fail(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    this.log.error(`live: ${message}`);
    await this.stop(undefined);
    const showLog = vscode.l10n.t('Show Log');
    const choice = await vscode.window.showErrorMessage(
      vscode.l10n.t('Kernel Lens: the real kernel run failed: {0}', message),
      showLog,
    );
    if (choice === showLog) this.log.show();
  }

  /** Ends QEMU and gdb, clears the view and the highlight. */
  private async stop(message: string | undefined): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await vscode.commands.executeCommand('setContext', RUNNING_KEY, false);
    this.tree.show(undefined);
    for (const editor of vscode.window.visibleTextEditors)
      editor.setDecorations(this.highlight, []);
    if (session) {
      await session.dispose();
      this.log.info(
        `live: QEMU and gdb ended (${session.allGone() ? 'all gone' : 'still exiting'})`,
      );
    }
    if (message) void vscode.window.showInformationMessage(message);
  }

  dispose(): void {
    void this.session?.dispose();
    this.session = undefined;
  }
}

export function registerLiveKernel(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): void {
  new LiveRun(log).register(context);
}
