/**
 * The simulator page: controls, parameters, and the views of render.ts over a run the host
 * sends (the engine runs on the host, see extension/client/simulatorPanel.ts). The page owns
 * the current step: every change is posted to the host as `sim/step`, which highlights the
 * kernel line beside; the page keeps what it shows in its webview state, so hiding or
 * reloading the panel comes back to the same scenario, parameters and step.
 */
import {
  assertNever,
  isToWebviewMessage,
  type ControlAction,
  type DropRule,
  type FromWebviewMessage,
  type RealStopView,
  type RunRequest,
  type RunView,
  type ScenarioChoice,
  type Strings,
  type ToWebviewMessage,
} from '../../../extension/protocol/simulatorWebview';
import { onHostMessage, vscodeApi } from '../../common/vscodeApi';
import { el, fill } from './dom';
import { clampStep, flowBases, laneLayout, syscallTimelines } from './model';
import { realStrip } from './realStop';
import {
  explanationView,
  fmt,
  headerView,
  moveSequence,
  sequenceDiagram,
  socketsView,
  syscallsView,
  type Derived,
} from './render';
import '../../common/page.css';
import './simulator.css';

// --- saved state (survives hiding and reloading)

interface SavedState {
  readonly request: RunRequest;
  readonly step: number;
  readonly relative: boolean;
  readonly speed: number;
  /** Date.now() when saved, to compare with the host's `init.resume`. */
  readonly savedAt?: number;
}

function isSavedState(v: unknown): v is SavedState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['request'] === 'object' &&
    s['request'] !== null &&
    typeof (s['request'] as Record<string, unknown>)['scenario'] === 'string' &&
    typeof s['step'] === 'number' &&
    typeof s['relative'] === 'boolean' &&
    typeof s['speed'] === 'number'
  );
}

const api = vscodeApi<SavedState, FromWebviewMessage>(isSavedState);
const DEFAULT_REQUEST: RunRequest = { scenario: 'normal', params: {}, seed: 1, drops: [] };
const SPEEDS = [0.5, 1, 2, 4, 8, 16]; // steps per second

// --- page state

let strings: Strings | undefined;
let scenarios: readonly ScenarioChoice[] = [];
let run: RunView | undefined;
let derived: Derived | undefined;
let step = 0;
let relative = api.getState()?.relative ?? true;
let speed = api.getState()?.speed ?? 2;
let timer: ReturnType<typeof setInterval> | undefined;
let nextMessageId = 1;
const pending = new Map<number, true>();
let error = '';
/** The live run's current stop, held against the run shown (null: no live run). */
let real: RealStopView | null = null;

const post = (m: FromWebviewMessage): void => api.postMessage(m);

function save(): void {
  if (run) api.setState({ request: run.request, step, relative, speed, savedAt: Date.now() });
}

// --- running and stepping

function requestRun(request: RunRequest, at: number): void {
  const messageId = nextMessageId++;
  pending.set(messageId, true);
  error = '';
  post({ type: 'sim/run', messageId, request, step: at });
  renderStatus(strings?.loading ?? '…');
}

function load(next: RunView, at: number): void {
  stop();
  run = next;
  const width = Math.max(420, 180 * next.hosts.length);
  derived = {
    bases: flowBases(next.steps),
    layout: laneLayout(next.hosts, next.steps, width),
    timelines: syscallTimelines(next),
  };
  renderChrome();
  renderReal();
  go(at);
}

let drawRequested = false;
/** Whether the step being taken answers the host's `sim/control` (see the protocol). */
let byCommand = false;
/** The run and seq/ack mode the drawn diagram shows. */
let drawnFor: RunView | undefined;
let drawnRelative = relative;

/**
 * How long the page waits before drawing a step. The page shares its renderer's main thread
 * with the workbench, and the step's message needs several turns of it to leave for the
 * extension host (two frames' postMessage, then the workbench's socket write); drawing in the
 * next animation frame made the message wait for it (10-20 ms here). A frame later the page's
 * own drawing is still immediate to the eye.
 */
const DRAW_DELAY_MS = 16;

/**
 * Shows step `index`: the host is told first, the page draws a moment later (DRAW_DELAY_MS),
 * and steps faster than that (holding a key, fast play) draw once.
 */
function go(index: number): void {
  if (!run) return;
  step = clampStep(run, index);
  post({ type: 'sim/step', runId: run.runId, index: step, ...(byCommand ? { byCommand } : {}) });
  // When the page asked for this step (wall clock): the start of "step -> highlighted line",
  // which the end-to-end test reads.
  document.body.dataset['stepAt'] = `${step}@${Date.now()}`;
  if (drawRequested) return;
  drawRequested = true;
  setTimeout(() => {
    requestAnimationFrame(() => {
      drawRequested = false;
      save();
      renderStep();
    });
  }, DRAW_DELAY_MS);
}

function control(action: ControlAction): void {
  switch (action) {
    case 'step':
      go(step + 1);
      break;
    case 'back':
      go(step - 1);
      break;
    case 'togglePlay':
      if (timer) stop();
      else play();
      break;
    case 'reset':
      stop();
      go(0);
      break;
    case 'end':
      go(Number.MAX_SAFE_INTEGER);
      break;
    default:
      assertNever(action);
  }
}

function play(): void {
  if (!run) return;
  if (step >= run.steps.length - 1) go(0);
  timer = setInterval(() => {
    if (!run || step >= run.steps.length - 1) stop();
    else go(step + 1);
  }, 1000 / speed);
  renderPlayButton();
}

function stop(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
  renderPlayButton();
}

// --- messages from the host

// The guard drops anything that is not in the protocol (extension/protocol/simulatorWebview.ts).
onHostMessage(isToWebviewMessage, onMessage);

function onMessage(m: ToWebviewMessage): void {
  switch (m.type) {
    case 'init': {
      strings = m.strings;
      scenarios = m.scenarios;
      document.documentElement.lang = m.language;
      renderShell();
      // The newer of the page's own state and the host's record of what it showed.
      const saved = api.getState();
      const resume = m.resume && m.resume.savedAt > (saved?.savedAt ?? 0) ? m.resume : saved;
      if (m.show) load(m.show.run, m.show.step);
      else if (run) requestRun(run.request, step);
      else requestRun(resume?.request ?? DEFAULT_REQUEST, resume?.step ?? 0);
      break;
    }
    case 'sim/result':
      if (!pending.delete(m.inReplyTo)) break; // an answer to a page that reloaded since
      if (m.run) load(m.run, m.step);
      else {
        error = m.error ?? '';
        renderStatus(error);
      }
      break;
    case 'sim/show':
      load(m.run, m.step);
      break;
    case 'sim/control':
      byCommand = true;
      control(m.action);
      byCommand = false;
      break;
    case 'sim/nextEditor':
      ui.nextEditor.checked = m.on;
      break;
    case 'sim/real':
      real = m.real;
      renderReal();
      if (real && m.reveal && run?.runId === real.runId && real.step !== undefined) go(real.step);
      break;
    default:
      assertNever(m);
  }
}

// --- the page's fixed parts

const ui = {
  scenario: el('select', { id: 'scenario' }),
  back: el('button', { id: 'back' }),
  play: el('button', { id: 'play' }),
  next: el('button', { id: 'step' }),
  reset: el('button', { id: 'reset' }),
  end: el('button', { id: 'end' }),
  speed: el('select', { id: 'speed' }),
  jump: el('input', { id: 'jump', type: 'number', min: 1 }),
  count: el('span', { id: 'count', class: 'muted' }),
  relative: el('input', { id: 'relative', type: 'checkbox' }),
  relativeLabel: el('label', { for: 'relative' }),
  nextEditor: el('input', { id: 'next-editor', type: 'checkbox' }),
  nextEditorLabel: el('label', { for: 'next-editor' }),
  status: el('p', { id: 'status', class: 'status', role: 'status' }),
  real: el('div', { id: 'real-stop' }),
  params: el('details', { id: 'params', class: 'params' }),
  diagram: el('div', { id: 'diagram', class: 'diagram' }),
  explanation: el('div', { id: 'explanation' }),
  header: el('div', { id: 'header' }),
  sockets: el('div', { id: 'sockets' }),
  syscalls: el('div', { id: 'syscalls' }),
};

function renderShell(): void {
  const s = strings!;
  fill(ui.scenario, ...scenarios.map((c) => el('option', { value: c.name }, c.title)));
  ui.scenario.setAttribute('aria-label', s.scenario);
  fill(ui.back, `◀ ${s.back}`);
  fill(ui.next, `${s.step} ▶`);
  fill(ui.reset, `|◀ ${s.reset}`);
  fill(ui.end, `${s.end} ▶|`);
  ui.back.title = `${s.back} (←)`;
  ui.next.title = `${s.step} (→)`;
  ui.reset.title = `${s.reset} (Home)`;
  ui.end.title = `${s.end} (End)`;
  fill(ui.speed, ...SPEEDS.map((v) => el('option', { value: v, selected: v === speed }, `${v}×`)));
  ui.speed.title = s.speed;
  ui.jump.title = s.jump;
  ui.jump.setAttribute('aria-label', s.jump);
  ui.relative.checked = relative;
  fill(ui.relativeLabel, s.relative);
  fill(ui.nextEditorLabel, s.nextEditor);
  ui.nextEditor.title = ui.nextEditorLabel.title = s.nextEditorTitle;
  renderPlayButton();
  fill(
    document.body,
    el(
      'header',
      { class: 'toolbar' },
      ui.scenario,
      ui.reset,
      ui.back,
      ui.play,
      ui.next,
      ui.end,
      ui.speed,
      el('span', { class: 'jump' }, ui.jump, ui.count),
      el('span', { class: 'toggle' }, ui.relative, ui.relativeLabel),
      el('span', { class: 'toggle' }, ui.nextEditor, ui.nextEditorLabel),
      el('span', { class: 'muted keys' }, s.keys),
    ),
    ui.status,
    ui.real,
    ui.params,
    el(
      'main',
      { class: 'layout' },
      el('div', { class: 'left' }, el('h2', {}, s.sequence), ui.diagram),
      el('div', { class: 'right' }, ui.explanation, ui.header, ui.sockets, ui.syscalls),
    ),
  );
}

/** The "Real kernel" strip: shown while a live run holds a stop against this page. */
function renderReal(): void {
  if (!strings) return;
  if (real) fill(ui.real, realStrip(real, strings, run, go));
  else fill(ui.real);
}

function renderPlayButton(): void {
  if (!strings) return;
  fill(ui.play, timer ? `❚❚ ${strings.pause}` : `▶ ${strings.play}`);
  ui.play.title = `${timer ? strings.pause : strings.play} (Space)`;
}

function renderStatus(text: string): void {
  fill(ui.status, text);
  ui.status.classList.toggle('error', text === error && error !== '');
}

/** The parts that change with the run: title, parameter form, counts. */
function renderChrome(): void {
  if (!run || !strings) return;
  const s = strings;
  ui.scenario.value = run.request.scenario;
  ui.jump.max = String(run.steps.length);
  const tree = run.tree.version
    ? `Linux ${run.tree.version} (${run.tree.source})`
    : run.tree.source;
  const endText = fmt(run.end.reason === 'quiet' ? s.ended : s.horizon, run.end.t);
  renderStatus(
    `${run.title} · ${fmt(s.rulesOf, run.rulesVersion)} · ${fmt(s.treeOf, tree)} · ${endText}` +
      (run.unresolved.length ? ` · ${s.unresolved}: ${run.unresolved.join('; ')}` : ''),
  );
  ui.status.title = run.summary;
  renderParams(run);
}

function renderParams(r: RunView): void {
  const s = strings!;
  const inputs = new Map<string, HTMLInputElement>();
  const rows = r.params.map((p) => {
    const input = el('input', {
      id: `param-${p.name}`,
      type: p.type === 'int' ? 'number' : 'text',
      value: String(p.value),
      min: p.min,
      max: p.max,
      placeholder: String(p.default),
    });
    inputs.set(p.name, input);
    return el(
      'tr',
      {},
      el('td', {}, el('label', { for: `param-${p.name}`, title: p.sysctl ?? '' }, p.name)),
      el('td', {}, input),
      el('td', { class: 'muted' }, p.doc),
    );
  });
  const drops = [...r.request.drops];
  const dropList = el('div', { class: 'drops' });
  const hostChoice = (value: string | undefined, any: string): HTMLSelectElement =>
    el(
      'select',
      {},
      el('option', { value: '' }, any),
      ...r.hosts.map((h) => el('option', { value: h, selected: h === value }, h)),
    );
  const renderDrops = (): void => {
    fill(
      dropList,
      ...drops.map((d, i) => {
        const from = hostChoice(d.from, s.anyHost);
        const to = hostChoice(d.to, s.anyHost);
        const flags = el('input', {
          type: 'text',
          value: d.flags ?? '',
          placeholder: s.anyFlags,
          size: 4,
        });
        const first = el('input', {
          type: 'number',
          min: 1,
          value: d.first ?? '',
          placeholder: s.firstN,
        });
        const update = (): void => {
          const firstValue = Number(first.value);
          drops[i] = {
            ...(from.value ? { from: from.value } : {}),
            ...(to.value ? { to: to.value } : {}),
            ...(flags.value.trim() ? { flags: flags.value.trim() } : {}),
            ...(first.value && Number.isInteger(firstValue) ? { first: firstValue } : {}),
          };
        };
        for (const c of [from, to, flags, first]) c.addEventListener('change', update);
        const remove = el('button', {}, s.remove);
        remove.addEventListener('click', () => {
          drops.splice(i, 1);
          renderDrops();
        });
        return el('div', { class: 'drop' }, from, ' → ', to, ' [', flags, '] ', first, remove);
      }),
    );
  };
  renderDrops();
  const add = el('button', { id: 'add-drop' }, s.addDrop);
  add.addEventListener('click', () => {
    drops.push({} as DropRule);
    renderDrops();
  });
  const seed = el('input', { id: 'seed', type: 'number', value: r.request.seed, min: 0 });
  const runButton = el('button', { id: 'run', class: 'primary' }, s.run);
  runButton.addEventListener('click', () => {
    // Only values that differ from the run's defaults are sent: they are the user's choices.
    const params: Record<string, string | number> = {};
    for (const p of r.params) {
      const v = inputs.get(p.name)!.value.trim();
      if (v === '' || v === String(p.default)) continue;
      params[p.name] = p.type === 'int' ? Number(v) : v;
    }
    const seedValue = Number(seed.value);
    requestRun(
      {
        scenario: r.request.scenario,
        params,
        seed: Number.isInteger(seedValue) ? seedValue : r.request.seed,
        drops,
      },
      0,
    );
  });
  const defaults = el('button', {}, s.defaults);
  defaults.addEventListener('click', () =>
    requestRun({ scenario: r.request.scenario, params: {}, seed: 1, drops: [] }, 0),
  );
  const open = ui.params.open;
  fill(
    ui.params,
    el('summary', {}, s.parameters),
    el('table', {}, el('tbody', {}, ...rows)),
    el('h3', {}, s.drops),
    dropList,
    add,
    el('p', {}, el('label', { for: 'seed' }, `${s.seed} `), seed, ' ', runButton, ' ', defaults),
  );
  ui.params.open = open;
}

/** Everything that depends on the current step. */
function renderStep(): void {
  if (!run || !derived || !strings) return;
  const o = { relative, strings };
  const current = run.steps[step]!;
  ui.jump.value = String(step + 1);
  fill(ui.count, ` / ${run.steps.length}`);
  // The diagram is drawn once per run (and when seq/ack switch between relative and
  // absolute); a step only moves its highlight.
  const drawn = ui.diagram.firstElementChild;
  if (drawn instanceof SVGSVGElement && drawnFor === run && drawnRelative === relative) {
    moveSequence(drawn, step);
  } else {
    const scroll = ui.diagram.scrollTop;
    fill(ui.diagram, sequenceDiagram(run, derived, step, o, go));
    ui.diagram.scrollTop = scroll;
    drawnFor = run;
    drawnRelative = relative;
  }
  const row = ui.diagram.querySelector('rect.row.current');
  if (row instanceof SVGGraphicsElement) {
    const y = row.getBBox().y;
    if (y < ui.diagram.scrollTop || y > ui.diagram.scrollTop + ui.diagram.clientHeight - 40)
      ui.diagram.scrollTop = Math.max(0, y - ui.diagram.clientHeight / 2);
  }
  const r = run;
  fill(
    ui.explanation,
    explanationView(r, current, o, (frame) =>
      post({ type: 'frame/open', runId: r.runId, index: step, frame }),
    ),
  );
  fill(ui.header, headerView(run, step, derived, o));
  fill(ui.sockets, socketsView(run, step, o));
  fill(ui.syscalls, syscallsView(run, step, derived, o));
}

// --- controls

ui.back.addEventListener('click', () => control('back'));
ui.next.addEventListener('click', () => control('step'));
ui.play.addEventListener('click', () => control('togglePlay'));
ui.reset.addEventListener('click', () => control('reset'));
ui.end.addEventListener('click', () => control('end'));
ui.speed.addEventListener('change', () => {
  speed = Number(ui.speed.value) || 2;
  save();
  if (timer) {
    stop();
    play();
  }
});
ui.jump.addEventListener('change', () => {
  const n = Number(ui.jump.value);
  if (Number.isInteger(n)) go(n - 1);
});
ui.relative.addEventListener('change', () => {
  relative = ui.relative.checked;
  save();
  renderStep();
});
// A setting of the host's (it arranges the editors), not the page's: the box shows what the
// host says, and a click asks the host to change it.
ui.nextEditor.addEventListener('change', () => {
  post({ type: 'sim/nextEditor', on: ui.nextEditor.checked });
});
ui.scenario.addEventListener('change', () =>
  requestRun({ scenario: ui.scenario.value, params: {}, seed: 1, drops: [] }, 0),
);

// Keys act on the page unless a form field has the focus (typing a number is not stepping).
document.addEventListener('keydown', (e) => {
  const target = e.target;
  if (
    target instanceof HTMLInputElement ||
    target instanceof HTMLSelectElement ||
    target instanceof HTMLTextAreaElement ||
    (target instanceof HTMLButtonElement && (e.key === ' ' || e.key === 'Enter')) ||
    e.altKey ||
    e.ctrlKey ||
    e.metaKey
  )
    return;
  const action: ControlAction | undefined =
    e.key === 'ArrowRight' || e.key === 'n'
      ? 'step'
      : e.key === 'ArrowLeft' || e.key === 'p'
        ? 'back'
        : e.key === ' '
          ? 'togglePlay'
          : e.key === 'Home'
            ? 'reset'
            : e.key === 'End'
              ? 'end'
              : undefined;
  if (action) {
    e.preventDefault();
    control(action);
  } else if (e.key === 'g') {
    e.preventDefault();
    ui.jump.focus();
    ui.jump.select();
  }
});

post({ type: 'ready' });
