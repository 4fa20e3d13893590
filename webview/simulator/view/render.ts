/**
 * Draws one step of a run: the sequence diagram, the explanation, the current segment's
 * header, the sockets and queues, the syscall timelines. Pure functions of (run, step, view
 * options) over the model in model.ts; main.ts decides when to call them.
 */
import type { RunView, StepView, Strings } from '../../../extension/protocol/simulatorWebview';
import { el, svg } from './dom';
import {
  callStatus,
  headerRows,
  resultText,
  rowY,
  segmentAt,
  shownSeqAck,
  type CallEntry,
  type Layout,
} from './model';

export interface Derived {
  readonly bases: ReadonlyMap<string, number>;
  readonly layout: Layout;
  readonly timelines: ReadonlyMap<string, CallEntry[]>;
}

export interface ViewOptions {
  readonly relative: boolean;
  readonly strings: Strings;
}

const fmt = (text: string, ...args: (string | number)[]): string =>
  text.replace(/\{(\d+)\}/g, (m, i: string) => String(args[Number(i)] ?? m));

// --- sequence diagram

export function sequenceDiagram(
  run: RunView,
  d: Derived,
  index: number,
  o: ViewOptions,
  onPick: (step: number) => void,
): SVGSVGElement {
  const { layout } = d;
  const root = svg('svg', {
    class: 'sequence',
    width: layout.width,
    height: layout.height,
    role: 'img',
    'aria-label': o.strings.sequence,
  });
  // Lanes with the host names on top.
  for (const [host, x] of layout.lanes) {
    root.appendChild(
      svg('line', { class: 'lane', x1: x, x2: x, y1: layout.top - 6, y2: layout.height }),
    );
    root.appendChild(svg('text', { class: 'lane-name', x, y: 16, 'text-anchor': 'middle' }, host));
  }
  // One clickable row per step; the current one highlighted, later ones dimmed.
  run.steps.forEach((s, i) => {
    const y = layout.top + layout.rowHeight * i;
    const row = svg('rect', {
      class: `row${i === index ? ' current' : ''}`,
      x: 0,
      y,
      width: layout.width,
      height: layout.rowHeight,
      'data-step': i,
    });
    row.addEventListener('click', () => onPick(i));
    root.appendChild(row);
    if (!s.segment) {
      const x = layout.lanes.get(s.host) ?? 0;
      root.appendChild(
        svg(
          'circle',
          {
            class: `dot ${s.kind}${i > index ? ' future' : ''}`,
            'data-step': i,
            cx: x,
            cy: rowY(layout, i),
            r: 3,
          },
          svg('title', {}, s.text),
        ),
      );
    }
  });
  for (const a of layout.arrows) {
    const x1 = layout.lanes.get(a.from) ?? 0;
    const target = layout.lanes.get(a.to) ?? x1;
    const endIndex = a.end ?? run.steps.length - 1;
    const y1 = rowY(layout, a.send);
    const y2 = rowY(layout, endIndex);
    const x2 = a.fate === 'dropped' ? x1 + (target - x1) / 2 : target;
    const future = a.send > index;
    const cls = [
      'arrow',
      a.fate,
      a.retransmission ? 'retransmission' : '',
      future ? 'future' : '',
      a.send === index || a.end === index ? 'current' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const { seq, ack } = shownSeqAck(a.segment, d.bases, o.relative);
    const label = `[${a.segment.flags}] seq ${seq}${ack !== null ? ` ack ${ack}` : ''}${
      a.segment.len ? ` len ${a.segment.len}` : ''
    }`;
    const g = svg('g', { class: cls, 'data-send': a.send, 'data-end': a.end ?? '' });
    g.appendChild(svg('line', { x1, y1, x2, y2 }));
    const dir = Math.sign(x2 - x1) || 1;
    g.appendChild(
      svg('path', {
        class: 'head',
        d:
          a.fate === 'dropped'
            ? `M${x2 - 5} ${y2 - 5} L${x2 + 5} ${y2 + 5} M${x2 + 5} ${y2 - 5} L${x2 - 5} ${y2 + 5}`
            : `M${x2} ${y2} L${x2 - 8 * dir} ${y2 - 4} L${x2 - 8 * dir} ${y2 + 4} Z`,
      }),
    );
    const note = a.fate === 'dropped' ? ` ${o.strings.dropped}` : '';
    const re = a.retransmission ? ` (${o.strings.retransmission})` : '';
    g.appendChild(
      svg(
        'text',
        { class: 'arrow-label', x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' },
        label + re + note,
      ),
    );
    root.appendChild(g);
  }
  return root;
}

/**
 * Moves a drawn diagram to another step without drawing it again: the current row, the
 * dimmed future, the arrows of the step. Cheap, so a step costs the page little.
 */
export function moveSequence(root: SVGSVGElement, index: number): void {
  for (const row of Array.from(root.querySelectorAll('rect.row'))) {
    row.classList.toggle('current', Number(row.getAttribute('data-step')) === index);
  }
  for (const dot of Array.from(root.querySelectorAll('circle.dot'))) {
    dot.classList.toggle('future', Number(dot.getAttribute('data-step')) > index);
  }
  for (const g of Array.from(root.querySelectorAll('g.arrow'))) {
    const send = Number(g.getAttribute('data-send'));
    const end = g.getAttribute('data-end');
    g.classList.toggle('future', send > index);
    g.classList.toggle('current', send === index || (end !== '' && Number(end) === index));
  }
}

// --- explanation and kernel line

export function explanationView(
  run: RunView,
  step: StepView,
  o: ViewOptions,
  onOpenFrame: (frame: number) => void,
): HTMLElement {
  const s = o.strings;
  const innermost = step.frames.length - 1;
  const frames = el('ol', { class: 'frames', 'aria-label': s.kernelLine });
  step.frames.forEach((f, i) => {
    const open = el(
      'button',
      {
        class: 'link',
        disabled: !f.file,
        title: f.unresolved ? `${s.unresolved}: ${f.unresolved}` : '',
      },
      f.function,
    );
    open.addEventListener('click', () => onOpenFrame(i));
    frames.appendChild(
      el(
        'li',
        { class: i === innermost ? 'innermost' : '' },
        open,
        ' ',
        el('span', { class: 'where' }, f.file ? `${f.file}:${f.line ?? '?'}` : `(${s.unresolved})`),
      ),
    );
  });
  return el(
    'section',
    { class: 'explanation', 'aria-live': 'polite' },
    el('h2', {}, s.explanation),
    el(
      'p',
      { class: 'meta' },
      `${fmt(s.of, step.index + 1, run.steps.length)} · t = ${step.t} ms · ${step.host} · ${step.kind}`,
      step.rule ? ` · rule ${step.rule}` : '',
    ),
    el('p', { class: 'text', id: 'explanation-text' }, step.text),
    frames,
  );
}

// --- the TCP header

export function headerView(run: RunView, index: number, d: Derived, o: ViewOptions): HTMLElement {
  const s = o.strings;
  const at = segmentAt(run.steps, index);
  const box = el('section', { class: 'header' }, el('h2', {}, s.header));
  const seg = at?.segment;
  if (!at || !seg || !seg.header) {
    box.appendChild(el('p', { class: 'muted' }, s.noSegment));
    return box;
  }
  const { seq, ack } = shownSeqAck(seg, d.bases, o.relative);
  box.appendChild(
    el(
      'p',
      { class: 'meta', id: 'header-summary' },
      `${at.index === index ? '' : `(${fmt(s.of, at.index + 1, run.steps.length)}) `}${at.kind} ${seg.src} > ${seg.dst} [${seg.flags}] seq ${seq}${ack !== null ? ` ack ${ack}` : ''} win ${seg.win} len ${seg.len}`,
    ),
  );
  const table = el('table', { class: 'tcp-header', id: 'tcp-header' });
  const ruler = el('tr', { class: 'ruler' });
  for (let bit = 0; bit < 32; bit++)
    ruler.appendChild(el('th', {}, bit % 4 === 0 ? String(bit) : ''));
  table.appendChild(el('thead', {}, ruler));
  const body = el('tbody');
  for (const row of headerRows(seg.header.hex)) {
    const tr = el('tr');
    for (const c of row) {
      tr.appendChild(
        el(
          'td',
          {
            colspan: c.bits,
            class: [c.bits === 1 ? 'flag' : '', c.set ? 'set' : '', c.continued ? 'continued' : '']
              .filter(Boolean)
              .join(' '),
            'data-field': c.label,
            title: `${c.label}${c.value ? ` = ${c.value}` : ''}`,
          },
          el('span', { class: 'label' }, c.continued ? '…' : c.label),
          c.value !== '' ? el('span', { class: 'value' }, c.value) : null,
        ),
      );
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  box.appendChild(table);
  box.appendChild(
    el(
      'p',
      { class: 'meta' },
      `${seg.header.src_ip} > ${seg.header.dst_ip} · checksum ${seg.header.checksum} · options [${seg.options.join(', ')}]`,
    ),
  );
  return box;
}

// --- sockets and queues

export function socketsView(run: RunView, index: number, o: ViewOptions): HTMLElement {
  const s = o.strings;
  const snap = run.snapshots[index];
  const box = el('section', { class: 'sockets' }, el('h2', {}, s.sockets));
  if (!snap) return box;
  for (const host of run.hosts) {
    const socks = snap.sockets.filter((k) => k.host === host);
    const prog = snap.programs.find((p) => p.host === host);
    const card = el(
      'div',
      { class: 'host', 'data-host': host },
      el(
        'h3',
        {},
        host,
        prog?.blockedIn ? el('span', { class: 'blocked' }, ` ${s.blocked}: ${prog.blockedIn}`) : '',
      ),
    );
    if (socks.length === 0) card.appendChild(el('p', { class: 'muted' }, s.noSockets));
    for (const k of socks) {
      const line = el(
        'div',
        { class: `socket ${k.kind}`, 'data-socket': k.name },
        el('span', { class: `state state-${k.state}` }, k.state),
        ' ',
        el('span', { class: 'name' }, `${k.fd !== undefined ? `fd ${k.fd} ` : ''}${k.name}`),
        k.error ? el('span', { class: 'error' }, ` ${k.error}`) : '',
        k.recvQueue ? el('span', { class: 'muted' }, ` rcvq ${k.recvQueue}`) : '',
      );
      card.appendChild(line);
      if (k.backlog !== undefined) {
        card.appendChild(queueBar(s.synQueue, k.synQueue ?? [], k.backlog, s, 'syn'));
        card.appendChild(queueBar(s.acceptQueue, k.acceptQueue ?? [], k.backlog, s, 'accept'));
      }
      if (k.timers.length) {
        card.appendChild(
          el(
            'div',
            { class: 'timers muted' },
            `${s.timers}: ${k.timers.map((t) => `${t.name} @ ${t.at} ms`).join(', ')}`,
          ),
        );
      }
    }
    box.appendChild(card);
  }
  if (snap.inFlight.length) {
    box.appendChild(
      el(
        'p',
        { class: 'muted' },
        `${s.inFlight}: ${snap.inFlight.map((f) => `${f.src} > ${f.dst} [${f.flags}] @ ${f.at} ms`).join('; ')}`,
      ),
    );
  }
  return box;
}

function queueBar(
  label: string,
  names: readonly string[],
  backlog: number,
  s: Strings,
  kind: string,
): HTMLElement {
  // The accept queue counts as full when it holds more than the backlog (sk_acceptq_is_full).
  const cells = Math.max(backlog + 1, names.length, 1);
  const shown = Math.min(cells, 24);
  const bar = el('div', { class: 'queue-cells' });
  for (let i = 0; i < shown; i++) {
    bar.appendChild(
      el('span', {
        class: `cell${i < names.length ? ' used' : ''}${i >= backlog ? ' over' : ''}`,
        title: names[i] ?? '',
      }),
    );
  }
  return el(
    'div',
    { class: `queue ${kind}`, 'data-queue': kind },
    el('span', { class: 'queue-label' }, `${label}: ${names.length} / ${s.backlog} ${backlog}`),
    bar,
  );
}

// --- syscall timelines

export function syscallsView(run: RunView, index: number, d: Derived, o: ViewOptions): HTMLElement {
  const s = o.strings;
  const box = el('section', { class: 'syscalls' }, el('h2', {}, s.syscalls));
  for (const host of run.hosts) {
    const calls = d.timelines.get(host) ?? [];
    const list = el('ol', { class: 'calls', 'data-host': host });
    for (const c of calls) {
      const status = callStatus(c, index);
      const failed = status === 'returned' && c.result?.errno && c.result.result === -1;
      list.appendChild(
        el(
          'li',
          { class: `call ${status}${failed ? ' failed' : ''}`, 'data-call': c.call },
          el('code', {}, `${c.call}(${c.args})`),
          ' ',
          status === 'blocked'
            ? el('span', { class: 'blocked' }, s.blocked)
            : status === 'returned' && c.result
              ? el('span', { class: 'result' }, resultText(c.result))
              : '',
        ),
      );
    }
    box.appendChild(el('div', { class: 'timeline' }, el('h3', {}, host), list));
  }
  return box;
}

export { fmt };
