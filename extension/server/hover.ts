/**
 * textDocument/hover on functions and calls:
 * - the signature and where the function is defined;
 * - where it is dispatched from ("called via tcp_prot.connect from __inet_stream_connect"),
 *   or, on a call through a field, where that call goes ("dispatched via
 *   inet_stream_ops.connect to inet_stream_connect") with the other candidates and the
 *   initializer that stores each;
 * - the project's own annotation of the function in VS Code's display language
 *   (initializationOptions.locale), with its provenance.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { CallEdge } from '../core/callGraph';
import type { FunctionFact } from '../core/facts';
import type { Located } from '../core/kernelIndex';
import { lineOf, type CodeSymbol } from '../core/positions';
import { packageRoot } from '../kernelSources/paths';
import { annotationsDir, loadAnnotations, type Annotation } from './annotations';
import type { ServerFeature } from './context';
import { lensOf, type Lang, type Lens } from './lens';
import { callTargets, functionsNamed, type DefinedTarget } from './symbolTargets';

/** The hover's own words, in both languages the project writes. */
const MESSAGES = {
  en: {
    calledVia: (via: string, callers: string) => `Called via \`${via}\` from ${callers}`,
    dispatchedVia: (via: string, fn: string, profile: string) =>
      `Dispatched via \`${via}\` to **${fn}** (profile ${profile})`,
    candidates: (n: number) => `${n} candidates in this tree (Go to Implementations):`,
    callersLater: 'Callers through ops tables: Show Call Hierarchy',
    storedIn: (slots: string) => `Called via ${slots} (profile tables)`,
    note: 'Kernel Lens note',
    linux: 'Linux',
    implementations: (n: number, field: string) =>
      `${n} functions are stored in \`${field}\` in this tree (Go to Implementations)`,
  },
  'zh-CN': {
    calledVia: (via: string, callers: string) => `经 \`${via}\` 被 ${callers} 调用`,
    dispatchedVia: (via: string, fn: string, profile: string) =>
      `经 \`${via}\` 分派到 **${fn}**（配置 ${profile}）`,
    candidates: (n: number) => `本源码树中共 ${n} 个候选（转到实现）：`,
    callersLater: '经操作表的调用者：显示调用层次结构',
    storedIn: (slots: string) => `经 ${slots} 调用（配置中的操作表）`,
    note: 'Kernel Lens 注解',
    linux: 'Linux',
    implementations: (n: number, field: string) =>
      `本源码树中共有 ${n} 个函数存入 \`${field}\`（转到实现）`,
  },
} as const satisfies Record<Lang, unknown>;

/** Candidates listed in a call's hover before "…". */
const MAX_LISTED = 8;

export const hover: ServerFeature = {
  capabilities: { hoverProvider: true },
  register(ctx) {
    let annotations: Map<string, Annotation> | undefined;
    try {
      annotations = loadAnnotations(annotationsDir(packageRoot()));
    } catch (err) {
      ctx.connection.console.error(`annotations not loaded: ${(err as Error).message}`);
    }
    ctx.connection.onHover(async (params): Promise<Hover | null> => {
      const lens = await lensOf(ctx);
      const at = lens?.symbolAt(params.textDocument.uri, params.position);
      if (!lens || !at) return null;
      const { file, symbol } = at;
      const sections: string[] = [];
      let fn: Located<FunctionFact> | undefined;
      switch (symbol.kind) {
        case 'call': {
          const targets = callTargets(lens, symbol, lens.profile);
          fn = targets[0]?.def;
          if (symbol.call.callee.k !== 'id' && targets.length) {
            sections.push(dispatchSection(lens, symbol, targets));
          }
          break;
        }
        case 'functionName':
          fn = symbol.fn;
          break;
        case 'initValue':
          fn = functionsNamed(lens, symbol.entry.value, file)[0];
          break;
        case 'word':
          if (!symbol.word.isField && !symbol.word.tagKeyword)
            fn = functionsNamed(lens, symbol.word.text, file)[0];
          break;
        case 'initField': {
          const text = fieldHover(lens, symbol);
          if (!text) return null;
          const w = symbol.word;
          return {
            contents: { kind: MarkupKind.Markdown, value: text },
            range: lens.rangeAt(w.line, w.start, w.end - w.start),
          };
        }
      }
      if (!fn) return null;
      sections.unshift(signatureSection(fn));
      const callers = callersSection(lens, fn);
      if (callers) sections.push(callers);
      const note = annotations?.get(fn.fact.name);
      if (note) sections.push(annotationSection(note, lens.lang));
      const w = symbol.word;
      return {
        contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') },
        range: lens.rangeAt(w.line, w.start, w.end - w.start),
      };
    });
  },
};

function signatureSection(fn: Located<FunctionFact>): string {
  return ['```c', fn.fact.signature, '```', `\`${fn.file}:${fn.fact.line}\``].join('\n');
}

/** On `sock->ops->connect(...)`: the profile's target, then every candidate with its table. */
function dispatchSection(
  lens: Lens,
  symbol: Parameters<typeof callTargets>[1],
  chosen: DefinedTarget[],
): string {
  const m = MESSAGES[lens.lang];
  const lines: string[] = [];
  const first = chosen[0]!;
  if (lens.profile && chosen.length === 1 && first.provenance) {
    lines.push(m.dispatchedVia(first.provenance.via, first.def.fact.name, lens.profileName));
  }
  const all = callTargets(lens, symbol, undefined);
  if (all.length > 1 || !lens.profile) {
    const list = all
      .slice(0, MAX_LISTED)
      .map((t) => `- ${t.def.fact.name} — \`${t.provenance?.via ?? t.callee}\``);
    if (all.length > MAX_LISTED) list.push(`- … (+${all.length - MAX_LISTED})`);
    lines.push(`${m.candidates(all.length)}\n${list.join('\n')}`);
  }
  return lines.join('\n\n');
}

/**
 * "Called via tcp_prot.connect from __inet_stream_connect": the indirect incoming edges under
 * the profile. On a whole tree computing them reads every file, so a hover there uses only
 * what the call hierarchy already computed.
 */
function callersSection(lens: Lens, fn: Located<FunctionFact>): string | undefined {
  if (fn.fact.syscall) return undefined;
  const m = MESSAGES[lens.lang];
  let edges: CallEdge[] | undefined;
  if (lens.smallTree) {
    edges = lens.callers(fn.fact.name, lens.profile);
    if (!edges.length && lens.profile) edges = lens.callers(fn.fact.name, undefined);
  } else {
    edges = lens.cachedCallers(fn.fact.name, lens.profile);
    if (!edges) {
      // Which profile table stores it is cheap; who calls through that table is not.
      const slots = lens.profileSlots(fn.fact.name).map((v) => `\`${v}\``);
      return slots.length ? `${m.storedIn(slots.join(', '))}  \n${m.callersLater}` : m.callersLater;
    }
  }
  const byVia = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.kind !== 'indirect' || !e.via) continue;
    const set = byVia.get(e.via) ?? new Set<string>();
    set.add(e.caller);
    byVia.set(e.via, set);
  }
  if (!byVia.size) return undefined;
  return [...byVia]
    .slice(0, MAX_LISTED)
    .map(([via, callers]) =>
      m.calledVia(
        via,
        [...callers]
          .slice(0, MAX_LISTED)
          .map((c) => `**${c}**`)
          .join(', '),
      ),
    )
    .join('  \n');
}

function annotationSection(note: Annotation, lang: Lang): string {
  const m = MESSAGES[lang];
  const p = note.provenance;
  return [
    `**${m.note}** · ${note.text[lang]}`,
    `_${m.linux} ${p.kernels.join(', ')} · ${p.path} · ${p.symbol}_`,
  ].join('\n\n');
}

/**
 * On `.connect` in an ops table: the member's declaration in its struct, and how many
 * functions the tree stores in that member.
 */
function fieldHover(
  lens: Lens,
  symbol: Extract<CodeSymbol, { kind: 'initField' }>,
): string | undefined {
  const { init, entry } = symbol;
  if (entry.path.length !== 1) return undefined;
  const structName = init.fact.type.name;
  const member = entry.path[0]!;
  const s = lens.index.struct(structName, init.file);
  const field = s?.fact.fields.find((f) => f.name === member);
  if (!s || !field) return undefined;
  const declared = lineOf(lens.index.readText(s.file), field.line)?.trim() ?? member;
  const count = new Set(lens.graph.resolver.impls(structName, member).map((i) => i.function)).size;
  return [
    ['```c', `${structName} {`, `\t${declared}`, '};', '```', `\`${s.file}:${field.line}\``].join(
      '\n',
    ),
    MESSAGES[lens.lang].implementations(count, `${structName}.${member}`),
  ].join('\n\n---\n\n');
}
