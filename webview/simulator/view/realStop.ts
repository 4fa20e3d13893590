/**
 * The "Real kernel" strip of the simulator page: which stop of the live run ("Run on a Real
 * Kernel") the page is held against, which simulated step predicted it, and, said plainly,
 * where the two disagree. realStopLines() is pure (unit-tested); realStrip() builds the DOM.
 */
import type {
  RealStopView,
  RealVerdict,
  RunView,
  Strings,
} from '../../../extension/protocol/simulatorWebview';
import { el } from './dom';
import { fmt } from './render';

export interface RealStopLines {
  readonly verdict: RealVerdict;
  /** "Stop 6: __sys_connect in kl-live (pid 82)". */
  readonly title: string;
  /** "socket SYN_SENT · segment SYN,ACK", or "" when nothing was read. */
  readonly read: string;
  /** What the simulator says of the stop: agreement, or the disagreement's headline. */
  readonly headline: string;
  /** One line per difference. */
  readonly details: readonly string[];
  /** The step to offer showing (0-based), when the stop's run is the one shown. */
  readonly step?: number;
}

/** Step numbers as the page shows them (1-based), joined: "4, 5". */
const numbers = (steps: readonly number[]): string => steps.map((s) => s + 1).join(', ');

export function realStopLines(real: RealStopView, s: Strings, run?: RunView): RealStopLines {
  const title = fmt(s.realStop, real.number, real.function, real.task.comm, real.task.pid);
  const read = [
    real.socketState ? fmt(s.realSocket, real.socketState) : '',
    real.segment ? fmt(s.realSegment, real.segment) : '',
  ]
    .filter((x) => x)
    .join(' · ');
  const sameRun = run?.runId === real.runId;
  const base = { title, read, ...(sameRun && real.step !== undefined ? { step: real.step } : {}) };
  if (!real.role) {
    return { ...base, verdict: 'notCompared', headline: s.realNotCompared, details: [] };
  }
  const details: string[] = [];
  for (const d of real.differences) {
    switch (d.kind) {
      case 'unpredicted':
        if (d.elsewhere) details.push(fmt(s.realElsewhere, d.elsewhere.role, d.elsewhere.step + 1));
        break;
      case 'state':
        details.push(fmt(s.realState, d.real, d.simulated));
        break;
      case 'segment':
        details.push(fmt(s.realSegmentDiffers, d.real, d.simulated));
        break;
      case 'skipped':
        details.push(fmt(s.realSkipped, numbers(d.steps)));
        break;
    }
  }
  if (real.step === undefined) {
    return {
      ...base,
      verdict: 'unpredicted',
      headline: fmt(s.realNoStep, real.role, real.function),
      details,
    };
  }
  const stepNumber = real.step + 1;
  return details.length
    ? { ...base, verdict: 'differs', headline: fmt(s.realDiffers, stepNumber, real.role), details }
    : { ...base, verdict: 'agrees', headline: fmt(s.realAgrees, stepNumber, real.role), details };
}

/** The strip; `onShow` goes to the predicting step. */
export function realStrip(
  real: RealStopView,
  s: Strings,
  run: RunView | undefined,
  onShow: (step: number) => void,
): HTMLElement {
  const lines = realStopLines(real, s, run);
  const warn = lines.verdict === 'differs' || lines.verdict === 'unpredicted';
  const show =
    lines.step !== undefined
      ? el('button', { id: 'real-show', class: 'real-show' }, fmt(s.realShowStep, lines.step + 1))
      : undefined;
  if (show && lines.step !== undefined) {
    const step = lines.step;
    show.addEventListener('click', () => onShow(step));
  }
  return el(
    'section',
    {
      id: 'real',
      class: `real ${lines.verdict}${warn ? ' warning' : ''}`,
      'data-verdict': lines.verdict,
      'data-step': lines.step,
      role: 'status',
      'aria-label': s.realKernel,
    },
    el(
      'div',
      { class: 'real-head' },
      el('strong', { class: 'real-label' }, `${warn ? '⚠ ' : ''}${s.realKernel}`),
      el('span', { class: 'real-title' }, lines.title),
      lines.read ? el('span', { class: 'real-read muted' }, lines.read) : undefined,
      show,
    ),
    el('p', { class: 'real-headline' }, lines.headline),
    lines.details.length
      ? el('ul', { class: 'real-details' }, ...lines.details.map((d) => el('li', {}, d)))
      : undefined,
  );
}
