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
import { PROGRAM_MODES, programSource, type ProgramMode } from '../live/initramfs';
import { LiveSession, type Step } from '../live/session';
import { SCENARIO_OF_MODE, type Comparison, type Difference } from '../live/simMatch';
import { defaultFunctions } from '../live/stops';
import type { Frame, Stop } from '../live/stops';
import type { LiveBreakpoints } from './liveBreakpoints';
import { LiveComparison, realStopView, verdictOf } from './liveComparison';
import type { SimulatorApi } from './simulatorPanel';

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
  /** The Kernel Stack view's "Simulator" row: the simulator at the step that predicted the stop. */
  showInSimulator: 'kernelLens.live.showInSimulator',
} as const;

/** Context key for the view's title buttons and the palette: a run waits at a stop. */
const RUNNING_KEY = 'kernelLens.liveRunning';

// --- the Kernel Stack view

type Row =
  | { readonly kind: 'simulator'; readonly comparison: Comparison; readonly scenario: string }
  | { readonly kind: 'task'; readonly stop: Stop }
  | { readonly kind: 'frame'; readonly frame: Frame; readonly top: boolean }
  | { readonly kind: 'program' };

class KernelStackTree implements vscode.TreeDataProvider<Row> {
  private stop: Stop | undefined;
  private compared: { comparison: Comparison; scenario: string } | undefined;
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  /** `compared`: the stop held against the simulator's scenario, when one models the mode. */
  show(stop: Stop | undefined, compared?: { comparison: Comparison; scenario: string }): void {
    this.stop = stop;
    this.compared = compared;
    this.changed.fire(undefined);
  }

  getChildren(row?: Row): Row[] {
    if (row || !this.stop) return [];
    return [
      ...(this.compared ? [{ kind: 'simulator' as const, ...this.compared }] : []),
      { kind: 'task', stop: this.stop },
      ...this.stop.backtrace.map((frame, i) => ({ kind: 'frame' as const, frame, top: i === 0 })),
      { kind: 'program' },
    ];
  }

  getTreeItem(row: Row): vscode.TreeItem {
    switch (row.kind) {
      case 'simulator':
        return simulatorItem(row.comparison, row.scenario);
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

/** What the simulator says of a stop, one line; the details in the tooltip. */
function simulatorItem(c: Comparison, scenario: string): vscode.TreeItem {
  const verdict = verdictOf(c);
  const step = c.step ? String(c.step.index + 1) : '';
  const label =
    verdict === 'agrees'
      ? vscode.l10n.t('Simulator: step {0} agrees', step)
      : verdict === 'differs'
        ? vscode.l10n.t('Simulator: step {0} differs', step)
        : verdict === 'unpredicted'
          ? vscode.l10n.t('Simulator: no step predicts this stop')
          : vscode.l10n.t('Simulator: not compared');
  const item = new vscode.TreeItem(label);
  item.description = scenario;
  item.iconPath =
    verdict === 'agrees'
      ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
      : verdict === 'notCompared'
        ? new vscode.ThemeIcon('circle-slash')
        : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  item.tooltip = [
    vscode.l10n.t('Held against the simulator’s “{0}” scenario.', scenario),
    ...c.differences.map(describeDifference),
    verdict === 'notCompared'
      ? vscode.l10n.t('Not compared: after the handshake both sides have such sockets.')
      : '',
  ]
    .filter((x) => x)
    .join('\n');
  item.command = {
    command: LIVE_COMMANDS.showInSimulator,
    title: vscode.l10n.t('Show in the Simulator'),
  };
  return item;
}

function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'unpredicted':
      return d.elsewhere
        ? vscode.l10n.t(
            'The simulator runs it on the {0} side instead (step {1}).',
            d.elsewhere.role,
            String(d.elsewhere.step + 1),
          )
        : vscode.l10n.t('No simulated step of this side runs it here.');
    case 'state':
      return vscode.l10n.t(
        'The real socket is {0}; the simulated one is {1}.',
        d.real,
        d.simulated,
      );
    case 'segment':
      return vscode.l10n.t(
        'The real segment is {0}; the simulated one is {1}.',
        d.real,
        d.simulated,
      );
    case 'skipped':
      return vscode.l10n.t(
        'The real kernel did not stop at simulated step(s) {0}.',
        d.steps.map((i) => i + 1).join(', '),
      );
  }
}

/** Which variant of the test program the kernel runs, and the scenario it is held against. */
async function pickMode(): Promise<ProgramMode | undefined> {
  const label = (mode: ProgramMode): string => {
    switch (mode) {
      case 'handshake':
        return vscode.l10n.t('Handshake: a server accepts a client’s connection');
      case 'refused':
        return vscode.l10n.t('Refused: connect() to a port nobody listens on');
      case 'backlog':
        return vscode.l10n.t('Backlog overflow: listen(fd, 1), three clients connect');
    }
  };
  const items = PROGRAM_MODES.map((mode) => {
    const scenario = SCENARIO_OF_MODE[mode];
    return {
      mode,
      label: label(mode),
      description: scenario
        ? vscode.l10n.t('compared with the simulator’s “{0}” scenario', scenario)
        : '',
    };
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Kernel Lens: Run on a Real Kernel'),
    placeHolder: vscode.l10n.t('Which program should the real kernel run?'),
  });
  return picked?.mode;
}

function isMode(value: unknown): value is ProgramMode {
  return typeof value === 'string' && (PROGRAM_MODES as readonly string[]).includes(value);
}

// --- the run

class LiveRun implements vscode.Disposable {
  private session: LiveSession | undefined;
  /** The run held against the simulator (from the first stop on). */
  private comparison: LiveComparison | undefined;
  private busy = false;
  private readonly tree = new KernelStackTree();
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly breakpoints: LiveBreakpoints,
    private readonly simulator: SimulatorApi,
  ) {}

  register(context: vscode.ExtensionContext): void {
    const view = vscode.window.createTreeView(KERNEL_STACK_VIEW, { treeDataProvider: this.tree });
    const command = (id: string, run: (...args: never[]) => unknown): vscode.Disposable =>
      vscode.commands.registerCommand(id, run);
    context.subscriptions.push(
      this,
      view,
      this.highlight,
      // The mode ("handshake", "refused", "backlog") may come as an argument; from the palette
      // the user picks it.
      command(LIVE_COMMANDS.run, async (mode?: unknown) => {
        const picked = isMode(mode) ? mode : await pickMode();
        if (picked) await this.start(picked);
      }),
      command(LIVE_COMMANDS.continue, () => this.advance(() => this.session!.continue())),
      command(LIVE_COMMANDS.stepOver, () => this.advance(() => this.session!.step('next'))),
      command(LIVE_COMMANDS.stepInto, () => this.advance(() => this.session!.step('step'))),
      command(LIVE_COMMANDS.stepOut, () => this.advance(() => this.session!.step('finish'))),
      command(LIVE_COMMANDS.stop, () =>
        this.stop(vscode.l10n.t('Kernel Lens: the real kernel was stopped.')),
      ),
      command(LIVE_COMMANDS.openFrame, (frame: Frame) => this.showFrame(frame, false)),
      // From the editor (no argument) or a call graph node's context menu (the node's
      // data-vscode-context: { function }).
      command(LIVE_COMMANDS.toggleBreakpoint, (arg?: { function?: unknown }) =>
        typeof arg?.function === 'string' && arg.function
          ? this.breakpoints.toggle(arg.function)
          : this.toggleAtCursor(),
      ),
      command(LIVE_COMMANDS.showInSimulator, () => this.showInSimulator(true)),
    );
  }

  /**
   * Adds the function around the cursor to the next run's breakpoints, or removes it. The
   * function comes from the language server's outline (a syscall's body is the kernel's
   * `__do_sys_<name>`); gdb checks the name exists when the run starts.
   */
  private async toggleAtCursor(): Promise<void> {
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
    await this.breakpoints.toggle(fn.name);
  }

  private async start(mode: ProgramMode): Promise<void> {
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
          const extra = this.breakpoints.list().filter((f) => !defaultFunctions().includes(f));
          const functions = [...defaultFunctions(), ...extra];
          const starting = LiveSession.start({
            mode,
            log: report,
            ...(extra.length ? { functions } : {}),
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
            this.breakpoints.live = (fn, on) => session.setBreakpoint(fn, on);
            this.comparison = new LiveComparison(mode, functions, session.kernel.version);
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
    const comparison = this.comparison?.add(stop);
    const scenario = this.comparison?.scenario;
    this.tree.show(stop, comparison && scenario ? { comparison, scenario } : undefined);
    if (comparison) {
      this.log.info(
        `live: stop ${stop.seq + 1} against "${scenario}": ${verdictOf(comparison)}` +
          (comparison.step ? ` (step ${comparison.step.index + 1})` : '') +
          (comparison.differences.length ? ` ${JSON.stringify(comparison.differences)}` : ''),
      );
    }
    await vscode.commands.executeCommand(`${KERNEL_STACK_VIEW}.focus`);
    await this.showFrame(stop.frame, true);
    // Not awaited: the scenario's first run resolves its lines through the language server,
    // and stepping the real kernel need not wait for that.
    void this.showInSimulator(false);
  }

  /**
   * The simulator beside, at the step that predicted the current stop, with the "Real kernel"
   * strip; it never takes the focus. `asked`: the user clicked the view's row (a failure is
   * then said, not only logged).
   */
  private async showInSimulator(asked: boolean): Promise<void> {
    const comparison = this.comparison?.current();
    const scenario = this.comparison?.scenario;
    if (!comparison || !scenario || !this.comparison) {
      if (asked)
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Kernel Lens: no simulator scenario models this run.'),
        );
      return;
    }
    try {
      await this.simulator.showRealStop({
        scenario,
        rules: this.comparison.rules.text,
        stop: realStopView(comparison),
        reveal: true,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`live: the simulator could not show the stop: ${message}`);
      if (asked)
        void vscode.window.showErrorMessage(
          vscode.l10n.t('Kernel Lens: the simulator could not show the stop: {0}', message),
        );
    }
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
    this.comparison = undefined;
    this.breakpoints.live = undefined;
    await vscode.commands.executeCommand('setContext', RUNNING_KEY, false);
    this.tree.show(undefined);
    await this.simulator.showRealStop(undefined);
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
  breakpoints: LiveBreakpoints,
  simulator: SimulatorApi,
): void {
  new LiveRun(log, breakpoints, simulator).register(context);
}
