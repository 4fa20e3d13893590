/**
 * "Kernel Lens: Open Handshake Simulator": the simulator webview (webview/simulator/view/), its
 * commands and keybindings, its serializer, the Kernel Stack view of the current step and the
 * highlighted kernel line beside it. Messages: extension/protocol/simulatorWebview.ts.
 *
 * Where the engine runs: here, in the extension host, not in the page. It is pure and
 * deterministic either way, but every step's code points must be resolved to file:line in
 * the open tree (through the language server's kernelLens/resolveCodePoint), the Kernel Stack
 * view and the line highlight need the frames on this side anyway, and the "Simulate" CodeLens
 * must find the first step running a function before any page exists. So the host runs a
 * scenario once, resolves its few dozen code points once, and sends the page the whole run
 * (steps and snapshots); the page then steps through it on its own and tells the host which
 * step it shows (`sim/step`), which costs one message and one decoration per step.
 */
import * as vscode from 'vscode';
import { PageConnection } from './webviewPage';
import { parseKernelVersion, type KernelVersion } from '../../webview/simulator/engine/index';
import { resolveCodePoint } from '../protocol/lsp';
import {
  assertNever,
  type FrameView,
  type StepView,
  isFromWebviewMessage,
  isRunRequest,
  STRING_KEYS,
  type ControlAction,
  type FromWebviewMessage,
  type RealStopView,
  type Resume,
  type RunRequest,
  type RunView,
  type ScenarioChoice,
  type StringKey,
  type Strings,
  type ToWebviewMessage,
} from '../protocol/simulatorWebview';
import { explanationLanguage, loadScenario, scenarioNames } from '../simulatorHost/data';
import {
  buildRun,
  findFirstStep,
  simulatedFunctions,
  type AnchorLookup,
  type SimulateTarget,
} from '../simulatorHost/runView';
import { OPEN_FRAME_COMMAND, SimulatorStackView } from './kernelStackView';
import type { LanguageServer } from './languageServer';
import { registerSimulateCodeLens } from './simulateCodeLens';
import { NextStepPane } from './nextStepPane';
import { StepHighlighter, type MarkRole } from './stepHighlight';

export const SIMULATOR_VIEW_TYPE = 'kernelLens.simulator';

export const SIMULATOR_COMMANDS = {
  open: 'kernelLens.openSimulator',
  simulate: 'kernelLens.simulateFunction',
  step: 'kernelLens.simulator.step',
  stepBack: 'kernelLens.simulator.stepBack',
  togglePlay: 'kernelLens.simulator.togglePlay',
  reset: 'kernelLens.simulator.reset',
} as const;

/** workspaceState: the last scenario, parameters and step shown (see `init.resume`). */
const RESUME_KEY = 'kernelLens.simulator.resume';

/** Context key: a simulator panel exists (the Kernel Stack view and keybindings follow it). */
const OPEN_KEY = 'kernelLens.simulatorOpen';

// --- localized texts

function pageStrings(): Strings {
  const text = (key: StringKey): string => {
    switch (key) {
      case 'scenario':
        return vscode.l10n.t('Scenario');
      case 'step':
        return vscode.l10n.t('Step');
      case 'back':
        return vscode.l10n.t('Back');
      case 'play':
        return vscode.l10n.t('Play');
      case 'pause':
        return vscode.l10n.t('Pause');
      case 'reset':
        return vscode.l10n.t('Reset');
      case 'end':
        return vscode.l10n.t('End');
      case 'speed':
        return vscode.l10n.t('Steps per second');
      case 'jump':
        return vscode.l10n.t('Jump to step (g)');
      case 'of':
        return vscode.l10n.t('Step {0} of {1}');
      case 'relative':
        return vscode.l10n.t('Relative seq/ack');
      case 'nextEditor':
        return vscode.l10n.t('Next line below');
      case 'nextEditorTitle':
        return vscode.l10n.t(
          'Show the next step’s kernel line in a second editor below the source, so that a step into another file shows at once',
        );
      case 'absolute':
        return vscode.l10n.t('Absolute seq/ack');
      case 'parameters':
        return vscode.l10n.t('Parameters, drop rules and sysctls');
      case 'run':
        return vscode.l10n.t('Run');
      case 'defaults':
        return vscode.l10n.t('Defaults');
      case 'drops':
        return vscode.l10n.t('Drop rules (added to the scenario’s own)');
      case 'addDrop':
        return vscode.l10n.t('Add a drop rule');
      case 'remove':
        return vscode.l10n.t('Remove');
      case 'anyHost':
        return vscode.l10n.t('any host');
      case 'anyFlags':
        return vscode.l10n.t('flags');
      case 'firstN':
        return vscode.l10n.t('first N');
      case 'seed':
        return vscode.l10n.t('Seed');
      case 'sequence':
        return vscode.l10n.t('Segments');
      case 'syscalls':
        return vscode.l10n.t('System calls');
      case 'sockets':
        return vscode.l10n.t('Sockets and queues');
      case 'header':
        return vscode.l10n.t('TCP header');
      case 'explanation':
        return vscode.l10n.t('This step');
      case 'noSegment':
        return vscode.l10n.t('No segment yet.');
      case 'blocked':
        return vscode.l10n.t('blocked');
      case 'returned':
        return vscode.l10n.t('returned');
      case 'dropped':
        return vscode.l10n.t('dropped');
      case 'retransmission':
        return vscode.l10n.t('retransmission');
      case 'synQueue':
        return vscode.l10n.t('SYN queue');
      case 'acceptQueue':
        return vscode.l10n.t('Accept queue');
      case 'backlog':
        return vscode.l10n.t('backlog');
      case 'timers':
        return vscode.l10n.t('Timers');
      case 'noSockets':
        return vscode.l10n.t('No sockets.');
      case 'kernelLine':
        return vscode.l10n.t('Kernel stack, outermost first');
      case 'unresolved':
        return vscode.l10n.t('not found in this tree');
      case 'rulesOf':
        return vscode.l10n.t('rules of Linux {0}');
      case 'treeOf':
        return vscode.l10n.t('lines in {0}');
      case 'ended':
        return vscode.l10n.t('quiet at {0} ms');
      case 'horizon':
        return vscode.l10n.t('stopped at the horizon, {0} ms');
      case 'loading':
        return vscode.l10n.t('Running the scenario…');
      case 'keys':
        return vscode.l10n.t('← → step · Space play · Home/End · g jump');
      case 'inFlight':
        return vscode.l10n.t('In flight');
      case 'realKernel':
        return vscode.l10n.t('Real kernel');
      case 'realStop':
        return vscode.l10n.t('Stop {0}: {1} in {2} (pid {3})');
      case 'realSocket':
        return vscode.l10n.t('socket {0}');
      case 'realSegment':
        return vscode.l10n.t('segment {0}');
      case 'realAgrees':
        return vscode.l10n.t('Simulated step {0} ({1}) predicted this stop; they agree.');
      case 'realDiffers':
        return vscode.l10n.t('Simulated step {0} ({1}) predicted this stop, but they disagree:');
      case 'realNoStep':
        return vscode.l10n.t('No simulated step of the {0} predicts this stop in {1}.');
      case 'realElsewhere':
        return vscode.l10n.t('The simulator runs it on the {0} side instead (step {1}).');
      case 'realState':
        return vscode.l10n.t('The real socket is {0}; the simulated one is {1}.');
      case 'realSegmentDiffers':
        return vscode.l10n.t('The real segment is {0}; the simulated one is {1}.');
      case 'realSkipped':
        return vscode.l10n.t('The real kernel did not stop at simulated step(s) {0}.');
      case 'realNotCompared':
        return vscode.l10n.t('Not compared: after the handshake both sides have such sockets.');
      case 'realShowStep':
        return vscode.l10n.t('Show step {0}');
      default:
        return assertNever(key);
    }
  };
  return Object.fromEntries(STRING_KEYS.map((k) => [k, text(k)])) as Strings;
}

function scenarioChoices(): ScenarioChoice[] {
  const lang = explanationLanguage(vscode.env.language);
  return scenarioNames().map((name) => ({ name, title: loadScenario(name).title[lang] }));
}

// --- the panel

interface PanelHost {
  readonly context: vscode.ExtensionContext;
  readonly server: LanguageServer;
  readonly log: vscode.LogOutputChannel;
  readonly highlighter: StepHighlighter;
  readonly stack: SimulatorStackView;
}

let nextRunId = 1;

/** A stop of the live run to hold against a scenario (liveKernel.ts): RealStopView, minus the run. */
export interface RealStopRequest {
  /** The scenario that models the live run's mode: "normal", "refused", "accept-overflow". */
  readonly scenario: string;
  /** The version whose rules the compared steps followed: the live kernel's, "6.1.158". */
  readonly rules: string;
  readonly stop: Omit<RealStopView, 'runId'>;
  /** Show the predicting step (a new stop), or only update the strip. */
  readonly reveal: boolean;
}

/** What other features ask of the simulator (registerSimulator's answer). */
export interface SimulatorApi {
  /** Opens or reveals the panel beside without taking the focus; undefined clears the strip. */
  showRealStop(request: RealStopRequest | undefined): Promise<void>;
}

export class SimulatorPanel implements vscode.Disposable {
  private readonly page: PageConnection<FromWebviewMessage, ToWebviewMessage>;
  /** A run a command asked to show before the page said `ready`. */
  private pendingShow: { run: RunView; step: number } | undefined;
  /** The run the page shows, and where each of its files is. */
  private run: RunView | undefined;
  private step = 0;
  private rootUri: vscode.Uri | undefined;
  /** The step the page shows now, and whether a highlight is under way. */
  private wantedStep = 0;
  private highlighting = false;
  /** The documents of the current run's files, loaded ahead (see warm()). */
  private warmed: vscode.TextDocument[] = [];
  /** The live run's stop the page is held against (sent again when the page comes back). */
  private real: RealStopView | undefined;
  /** The second source editor, for the next step's line (kernelLens.simulator.nextStepEditor). */
  private readonly nextPane = new NextStepPane();
  /** The next step's mark, placed PREVIEW_DELAY_MS after a step's highlight. */
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  /** A next-step mark being placed: a step waits for it, so the two never race for an editor. */
  private previewing: Promise<void> | undefined;
  /** When the host took the last step (performance.now()), to tell fast stepping from reading. */
  private lastStepAt = -Infinity;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly host: PanelHost,
  ) {
    this.page = new PageConnection<FromWebviewMessage, ToWebviewMessage>(panel, {
      extensionUri: host.context.extensionUri,
      bundle: 'simulator',
      title: 'Kernel Lens Simulator',
      name: 'simulator',
      log: host.log,
      isMessage: isFromWebviewMessage,
      onMessage: (message) => this.onMessage(message),
    });
    this.disposables.push(
      this.page,
      panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (NextStepPane.changedIn(e)) this.nextEditorChanged();
      }),
    );
  }

  /** Shows a run at a step (now, or once the page listens) and brings the panel forward. */
  show(run: RunView, step: number): void {
    if (this.page.ready) this.page.post({ type: 'sim/show', run, step });
    else this.pendingShow = { run, step };
    this.panel.reveal(undefined, false);
  }

  /** A global command (keybinding, palette, view title) drives the page. */
  control(action: ControlAction): void {
    if (this.page.ready) this.page.post({ type: 'sim/control', action });
  }

  /** Opens frame `frame` of the current step in the editor beside, focused. */
  async openFrame(frame: number): Promise<void> {
    const f = this.run?.steps[this.step]?.frames[frame];
    const uri = f?.file ? this.uriOf(f.file) : undefined;
    if (!f?.line || !uri) return;
    const line = f.line - 1;
    await vscode.window.showTextDocument(uri, {
      viewColumn: this.editorColumn(),
      selection: new vscode.Range(line, 0, line, 0),
      preview: true,
    });
  }

  /**
   * Holds a live run's stop against its scenario: runs the scenario (with the live kernel's
   * rules) unless the page shows that run already, shows the predicting step, and draws the
   * "Real kernel" strip. The panel is revealed without taking the focus.
   */
  async showRealStop(request: RealStopRequest | undefined): Promise<void> {
    if (!request) {
      this.real = undefined;
      if (this.page.ready) this.page.post({ type: 'sim/real', real: null, reveal: false });
      return;
    }
    let run = this.run;
    const fresh =
      !run ||
      run.request.scenario !== request.scenario ||
      run.rulesVersion !== versionOf(request.rules).text ||
      run.request.seed !== 1 ||
      run.request.drops.length > 0 ||
      Object.keys(run.request.params).length > 0;
    if (fresh || !run) {
      run = await this.build(
        { scenario: request.scenario, params: {}, seed: 1, drops: [] },
        versionOf(request.rules),
      );
    }
    const real: RealStopView = { ...request.stop, runId: run.runId };
    this.real = real;
    const at = request.reveal && real.step !== undefined ? real.step : this.step;
    if (this.page.ready) {
      if (fresh) this.page.post({ type: 'sim/show', run, step: at });
      this.page.post({ type: 'sim/real', real, reveal: request.reveal });
    } else if (fresh || request.reveal) {
      this.pendingShow = { run, step: at };
    }
    this.panel.reveal(undefined, true);
  }

  dispose(): void {
    clearTimeout(this.previewTimer);
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async onMessage(message: FromWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        // During a live run the page comes back to the step of the stop it is held against.
        const live =
          this.real && this.run?.runId === this.real.runId
            ? { run: this.run, step: this.real.step ?? this.step }
            : undefined;
        const show = this.pendingShow ?? live;
        this.pendingShow = undefined;
        const resume = this.host.context.workspaceState.get<Resume>(RESUME_KEY);
        this.page.post({
          type: 'init',
          strings: pageStrings(),
          scenarios: scenarioChoices(),
          language: vscode.env.language,
          ...(show ? { show } : {}),
          ...(resume && isRunRequest(resume.request) ? { resume } : {}),
        });
        if (this.real) this.page.post({ type: 'sim/real', real: this.real, reveal: false });
        this.page.post({ type: 'sim/nextEditor', on: NextStepPane.wanted() });
        break;
      }
      case 'sim/run': {
        try {
          const run = await this.build(message.request);
          this.page.post({
            type: 'sim/result',
            inReplyTo: message.messageId,
            run,
            step: message.step,
          });
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          this.host.log.warn(`simulator: ${message.request.scenario}: ${text}`);
          this.page.post({
            type: 'sim/result',
            inReplyTo: message.messageId,
            step: 0,
            error: vscode.l10n.t('The scenario could not run: {0}', text),
          });
        }
        break;
      }
      case 'sim/step':
        await this.showStep(message.runId, message.index, message.byCommand === true);
        break;
      case 'sim/nextEditor':
        await NextStepPane.set(message.on);
        break;
      case 'frame/open':
        if (message.runId === this.run?.runId) {
          this.step = message.index;
          await this.openFrame(message.frame);
        }
        break;
      default:
        assertNever(message);
    }
  }

  /** Runs a request in the engine and resolves its code points in the open tree. */
  async build(request: RunRequest, rules?: KernelVersion): Promise<RunView> {
    const started = Date.now();
    const server = this.host.server;
    const client = await clientSoon(server);
    const status = server.status;
    const root = 'root' in status ? status.root : undefined;
    this.rootUri = root ? vscode.Uri.parse(root.uri) : undefined;
    const version = rules ?? versionOf(root?.version);
    // Both sides in vscode.Uri's spelling: the server's URIs and the status's root may escape
    // differently (Debian's "6.12.117-1~deb12u1" has "~" as is in one and "%7E" in the other).
    const canonical = (uri: string): string => vscode.Uri.parse(uri).toString();
    const prefix = root ? `${canonical(root.uri).replace(/\/$/, '')}/` : undefined;
    const lookup: AnchorLookup | undefined =
      client && prefix
        ? async (a) => {
            const hit = await client.sendRequest(resolveCodePoint, a);
            if (!hit) return { reason: `"${a.anchor}" not found in ${a.function}` };
            const uri = canonical(hit.location.uri);
            const file = uri.startsWith(prefix)
              ? decodeURIComponent(uri.slice(prefix.length))
              : uri;
            return { file, line: hit.location.range.start.line + 1 };
          }
        : undefined;
    const run = await buildRun(request, nextRunId++, {
      version,
      tree: { ...(root?.version ? { version: root.version } : {}), source: root?.source ?? 'none' },
      displayLanguage: vscode.env.language,
      ...(lookup
        ? { lookup }
        : { noLookupReason: vscode.l10n.t('The language server is not running.') }),
    });
    this.run = run;
    this.prepareLabels(run, 'current');
    if (NextStepPane.wanted()) this.prepareLabels(run, 'next');
    void this.warm(run);
    this.host.log.info(
      `simulator: ${request.scenario} (Linux ${version.text} rules, seed ${request.seed}): ${run.steps.length} steps, ${run.unresolved.length} code points unresolved, in ${Date.now() - started} ms`,
    );
    return run;
  }

  /**
   * The page shows step `index`: highlight its line beside, then list its frames and remember
   * the step. The highlight goes first: every message the window gets before it (the tree
   * view's refresh, the stored state) delays it.
   */
  private async showStep(runId: number, index: number, byCommand = false): Promise<void> {
    const run = this.run;
    if (!run || run.runId !== runId) return; // a step of a run replaced since
    const step = run.steps[index];
    if (!step) return;
    this.step = index;
    const received = performance.now();
    this.wantedStep = index;
    const line = this.lineOf(run, index);
    // One highlight at a time: steps that arrive while a file opens (a held key, fast play)
    // are skipped, and the latest one is shown when the editor is free.
    if (line && !this.highlighting) {
      this.highlighting = true;
      try {
        await this.highlight(run, index, line, received, byCommand);
      } finally {
        this.highlighting = false;
      }
    }
    this.afterStep(run, index);
    const wanted = this.wantedStep;
    if (wanted !== index && this.run === run) await this.showStep(run.runId, wanted);
  }

  /** The step's frames in the Kernel Stack view, and the step stored for the next session. */
  private afterStep(run: RunView, index: number): void {
    const step = run.steps[index];
    if (!step || this.run !== run || this.step !== index) return;
    const title = vscode.l10n.t('Step {0} of {1}', String(index + 1), String(run.steps.length));
    this.host.stack.show(step.frames, `${title}: ${step.host} ${step.kind}`);
    const resume: Resume = { request: run.request, step: index, savedAt: Date.now() };
    void this.host.context.workspaceState.update(RESUME_KEY, resume);
  }

  private async highlight(
    run: RunView,
    index: number,
    line: StepLine,
    received: number,
    byCommand: boolean,
  ): Promise<void> {
    // A next-step mark being placed changes the editors: let it finish, and cancel the one due.
    clearTimeout(this.previewTimer);
    await this.previewing;
    if (this.run !== run) return;
    // During a live run the real kernel, not the model, says what runs next.
    const wantNext = NextStepPane.wanted() && !this.real;
    const { main, columns } = this.sourceColumns(wantNext);
    // The editor that shows the file already (the next-step mark put it there), else the one
    // that does not show the step after this one, so that it stays on screen.
    const next = this.lineOf(run, index + 1);
    const nextColumn =
      next && this.host.highlighter.columnShowing(next.uri, next.line - 1, columns);
    const column =
      this.host.highlighter.columnShowing(line.uri, line.line - 1, columns) ??
      columns.find((c) => c !== nextColumn) ??
      main;
    // Stepping with a command from the editor beside (Ctrl+Alt+]) keeps the keyboard there:
    // the highlight, if it opens another file in that editor's place, takes the focus along.
    const takeFocus = byCommand && vscode.window.activeTextEditor?.viewColumn === column;
    await this.host.highlighter.show(
      { uri: line.uri, line: line.line, label: stepLabel(index, line.function) },
      column,
      takeFocus,
    );
    this.host.log.info(
      `simulator: step ${index + 1} → ${line.file}:${line.line} highlighted ${(performance.now() - received).toFixed(1)} ms after the page's message`,
    );
    // The next-step mark was the step before's next (after a step forward, the line just
    // highlighted): it goes, and this step's next comes when the reader pauses. Steps in quick
    // succession (a held key, fast play) would wait for each other's file to open.
    this.host.highlighter.clearNext();
    const quick = received - this.lastStepAt < FAST_STEPPING_MS;
    this.lastStepAt = received;
    if (wantNext && !quick) this.schedulePreview(run, index, column);
  }

  /** Registers the decoration types of a run's step labels ahead of its steps. */
  private prepareLabels(run: RunView, role: MarkRole): void {
    const label = role === 'current' ? stepLabel : nextStepLabel;
    this.host.highlighter.prepare(
      run.steps.flatMap((step, i) => {
        const f = highlightedFrame(step);
        return f ? [label(i, f.function)] : [];
      }),
      role,
    );
  }

  /**
   * The setting changed (here or in Settings): tell the page, and show the next line now, or
   * close the second editor.
   */
  private nextEditorChanged(): void {
    const on = NextStepPane.wanted();
    if (this.page.ready) this.page.post({ type: 'sim/nextEditor', on });
    const column = this.host.highlighter.currentColumn;
    if (on && this.run && column !== undefined && !this.real) {
      this.prepareLabels(this.run, 'next');
      this.schedulePreview(this.run, this.step, column);
    } else if (!on) {
      clearTimeout(this.previewTimer);
      this.host.highlighter.clearNext();
      void this.nextPane.close(this.editorColumn(), this.panel.viewColumn);
    }
  }

  /**
   * Marks the next step's line once this step's highlight is on screen. Not at once: opening a
   * file keeps the window busy for 100 ms or more, and the step's own highlight must be drawn
   * first. A step that comes before cancels it.
   */
  private schedulePreview(run: RunView, index: number, column: vscode.ViewColumn): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => {
      this.previewing = this.previewNext(run, index, column)
        .catch((err: unknown) => {
          const text = err instanceof Error ? err.message : String(err);
          this.host.log.warn(`simulator: the next step's line could not be shown: ${text}`);
        })
        .finally(() => (this.previewing = undefined));
    }, PREVIEW_DELAY_MS);
  }

  /** Puts the next step's mark where it is on screen, or opens its file in the other editor. */
  private async previewNext(run: RunView, index: number, current: vscode.ViewColumn) {
    if (this.run !== run || this.step !== index) return;
    const started = performance.now();
    const line = this.lineOf(run, index + 1);
    if (!line) {
      this.host.highlighter.clearNext();
      return;
    }
    const next = { uri: line.uri, line: line.line, label: nextStepLabel(index + 1, line.function) };
    const { main, columns } = this.sourceColumns(true);
    const other = columns.find((c) => c !== current);
    // Where the file is on screen; but a line of the current step's file that is out of view
    // goes to the other editor: the current line stays put, and the next one is in sight.
    const shown = this.host.highlighter.columnShowing(next.uri, next.line - 1, columns);
    const inSight =
      shown !== undefined &&
      (shown !== current || this.host.highlighter.showsInView(current, next.uri, next.line - 1));
    let column = inSight ? shown : other;
    if (column === undefined) {
      // No second editor yet (or the user closed it): make it, and give the focus back to
      // whoever had it.
      const panelHadFocus = this.panel.active;
      const editorWithFocus = vscode.window.activeTextEditor;
      column = await this.nextPane.make(main, next.uri, next.line - 1, () => {
        if (panelHadFocus) this.panel.reveal(undefined, false);
        else if (editorWithFocus?.viewColumn !== undefined)
          void vscode.window.showTextDocument(editorWithFocus.document, {
            viewColumn: editorWithFocus.viewColumn,
            preserveFocus: false,
          });
      });
      // Without a second editor, the mark goes where the file is, in view or not.
      column ??= shown;
      if (column === undefined) {
        this.host.highlighter.clearNext();
        return;
      }
    }
    if (this.run !== run || this.step !== index) return;
    await this.host.highlighter.showNext(next, column);
    this.host.log.trace(
      `simulator: step ${index + 2} (next) → ${next.uri.fsPath}:${next.line} shown in ${(performance.now() - started).toFixed(1)} ms`,
    );
  }

  /** Where step `index` highlights (its innermost frame with a line); undefined past the end. */
  private lineOf(run: RunView, index: number): StepLine | undefined {
    const step = run.steps[index];
    const f = step && highlightedFrame(step);
    const uri = f?.file ? this.uriOf(f.file) : undefined;
    if (!f?.file || !f.line || !uri) return undefined;
    return { function: f.function, file: f.file, line: f.line, uri };
  }

  /**
   * The columns the kernel lines go to: the one beside the panel (`main`), and the second
   * editor's when `withPane` and it is there.
   */
  private sourceColumns(withPane: boolean): {
    main: vscode.ViewColumn;
    columns: vscode.ViewColumn[];
  } {
    const main = this.editorColumn();
    const pane = withPane ? this.nextPane.columnBeside(main, this.panel.viewColumn) : undefined;
    return { main, columns: pane === undefined ? [main] : [main, pane] };
  }

  /**
   * Loads every file the run's frames name, so that showing one on a step only swaps the
   * editor's model: opening a file the window has not loaded yet costs a read through the
   * remote file system and a first tokenization (0.3-1 s in code-server on a loaded machine),
   * which would otherwise land on the step that first needs it.
   */
  private async warm(run: RunView): Promise<void> {
    const files = new Set<string>();
    for (const s of run.steps) for (const f of s.frames) if (f.file) files.add(f.file);
    const started = Date.now();
    const uris = [...files].flatMap((f) => this.uriOf(f) ?? []);
    const opened = await Promise.allSettled(uris.map((u) => vscode.workspace.openTextDocument(u)));
    this.warmed = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    this.host.log.info(
      `simulator: ${this.warmed.length} of ${uris.length} files of the run loaded in ${Date.now() - started} ms`,
    );
  }

  private uriOf(file: string): vscode.Uri | undefined {
    if (/^[a-z]+:/.test(file)) return vscode.Uri.parse(file);
    return this.rootUri ? vscode.Uri.joinPath(this.rootUri, file) : undefined;
  }

  /** The column beside the panel: the editors live in the other one. */
  private editorColumn(): vscode.ViewColumn {
    return this.panel.viewColumn === vscode.ViewColumn.One
      ? vscode.ViewColumn.Two
      : vscode.ViewColumn.One;
  }
}

/** A step's highlighted line, and where its file is in the open tree. */
interface StepLine {
  readonly function: string;
  /** Relative to the tree: "net/ipv4/tcp_input.c". */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly uri: vscode.Uri;
}

/** The frame a step highlights beside the simulator: its innermost one with a line. */
function highlightedFrame(step: StepView): FrameView | undefined {
  return [...step.frames].reverse().find((f) => f.file && f.line);
}

/** The text after the highlighted line. */
function stepLabel(index: number, fn: string): string {
  return vscode.l10n.t('◀ step {0}: {1}', String(index + 1), fn);
}

/** The text after the next step's line. */
function nextStepLabel(index: number, fn: string): string {
  return vscode.l10n.t('▷ next, step {0}: {1}', String(index + 1), fn);
}

/**
 * How long after a step's highlight the next step's line is placed: the highlight is drawn in
 * 30-40 ms (measured), and opening a file after it must not hold that frame up.
 */
const PREVIEW_DELAY_MS = 100;

/**
 * Steps closer together than this are fast stepping, not reading: play at 4x and faster, a
 * held key. Play at 2x (500 ms) leaves time for the next file to open between steps.
 */
const FAST_STEPPING_MS = 300;

/** "6.1.176" -> its rules; no tree (or no version): 6.1, the embedded sources' version. */
function versionOf(text: string | undefined): KernelVersion {
  try {
    return parseKernelVersion(text ?? '6.1');
  } catch {
    return parseKernelVersion('6.1');
  }
}

/**
 * The running client, waiting while it starts (a panel restored on reload asks before the
 * server is up); undefined when it fails, or after a minute (ten seconds if stopped).
 */
function clientSoon(server: LanguageServer): Promise<LanguageServer['client']> {
  if (server.client) return Promise.resolve(server.client);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      listener.dispose();
      resolve(server.client);
    };
    const timer = setTimeout(done, server.status.state === 'stopped' ? 10_000 : 60_000);
    const listener = server.onDidChangeStatus((status) => {
      if (server.client || status.state === 'failed') done();
    });
  });
}

// --- registration

/**
 * The simulator feature: the panel (at most one, reused), its serializer, commands and
 * keybinding targets, the Kernel Stack view, the line highlight and the Simulate CodeLens.
 */
export function registerSimulator(
  context: vscode.ExtensionContext,
  server: LanguageServer,
  log: vscode.LogOutputChannel,
): SimulatorApi {
  const highlighter = new StepHighlighter(log);
  const stack = new SimulatorStackView();
  context.subscriptions.push(highlighter, stack);
  const host: PanelHost = { context, server, log, highlighter, stack };
  let current: SimulatorPanel | undefined;

  const adopt = (panel: vscode.WebviewPanel): SimulatorPanel => {
    const p = new SimulatorPanel(panel, host);
    current = p;
    void vscode.commands.executeCommand('setContext', OPEN_KEY, true);
    p.onDidDispose(() => {
      if (current !== p) return;
      current = undefined;
      highlighter.clear();
      stack.clear();
      void vscode.commands.executeCommand('setContext', OPEN_KEY, false);
    });
    return p;
  };
  /** `live`: for a live run's stop: right of every editor, not taking the focus. */
  const panelFor = (live = false): SimulatorPanel => {
    if (current) return current;
    // Beside the editor in use, so the kernel lines open in the column it leaves.
    const column = live
      ? Math.min(
          3,
          Math.max(0, ...vscode.window.visibleTextEditors.map((e) => e.viewColumn ?? 1)) + 1,
        )
      : vscode.window.activeTextEditor
        ? vscode.ViewColumn.Beside
        : vscode.ViewColumn.One;
    return adopt(
      vscode.window.createWebviewPanel(
        SIMULATOR_VIEW_TYPE,
        vscode.l10n.t('Handshake Simulator'),
        { viewColumn: column, preserveFocus: live },
        {
          enableScripts: true,
          localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
        },
      ),
    );
  };

  let functions: Set<string> | undefined;
  registerSimulateCodeLens(
    context,
    () => (functions ??= simulatedFunctions()),
    SIMULATOR_COMMANDS.simulate,
  );

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(SIMULATOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel) {
        // The page restores its scenario, parameters and step from its state on `ready`.
        adopt(panel);
      },
    }),
    vscode.commands.registerCommand(SIMULATOR_COMMANDS.open, async (scenario?: unknown) => {
      const panel = panelFor();
      if (typeof scenario === 'string' && scenario) {
        const run = await panel.build({ scenario, params: {}, seed: 1, drops: [] });
        panel.show(run, 0);
      } else panel.panel.reveal(undefined, false);
    }),
    vscode.commands.registerCommand(
      SIMULATOR_COMMANDS.simulate,
      async (target?: SimulateTarget) => {
        if (!target) return;
        const status = server.status;
        const version = versionOf('root' in status ? status.root?.version : undefined);
        const found = findFirstStep(target, version, scenarioNames());
        if (!found) {
          void vscode.window.showInformationMessage(
            vscode.l10n.t('Kernel Lens: no simulator scenario runs {0}.', target.name),
          );
          return;
        }
        const panel = panelFor();
        const run = await panel.build({ scenario: found.scenario, params: {}, seed: 1, drops: [] });
        panel.show(run, found.step);
      },
    ),
    vscode.commands.registerCommand(SIMULATOR_COMMANDS.step, () => current?.control('step')),
    vscode.commands.registerCommand(SIMULATOR_COMMANDS.stepBack, () => current?.control('back')),
    vscode.commands.registerCommand(SIMULATOR_COMMANDS.togglePlay, () =>
      current?.control('togglePlay'),
    ),
    vscode.commands.registerCommand(SIMULATOR_COMMANDS.reset, () => current?.control('reset')),
    vscode.commands.registerCommand(OPEN_FRAME_COMMAND, (frame: number) =>
      current?.openFrame(frame),
    ),
    { dispose: () => current?.panel.dispose() },
  );
  return {
    // Clearing never opens a panel; a stop opens one if there is none.
    showRealStop: async (request) => (request ? panelFor(true) : current)?.showRealStop(request),
  };
}
