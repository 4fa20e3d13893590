/**
 * Call edges over the index: the calls below an entry (following ops tables and function
 * arguments), the callers of a function, and the implementations of an ops field. These are
 * what the CLI prints and what the language server's call hierarchy and the call-graph view
 * show.
 */
import type { CallFact, FunctionFact } from './facts';
import {
  displayName,
  functionInfo,
  type FunctionInfo,
  type KernelIndex,
  type Located,
} from './kernelIndex';
import type { Profile } from './profile';
import {
  Resolver,
  type Bindings,
  type CallTarget,
  type EdgeKind,
  type Provenance,
  type ViaKind,
} from './resolver';

/** One call edge, as printed by `kernel-lens path --json` and served to the editor. */
export interface CallEdge {
  /** Display name of the caller: "__sys_connect_file", "SYSCALL_DEFINE3(connect)". */
  readonly caller: string;
  /** The function called, or for an unresolved edge the expression. */
  readonly callee: string;
  /** The call site: file relative to the tree root, 1-based line, 0-based column. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: EdgeKind;
  /** "inet_stream_ops.connect" for initializer edges; see Provenance for the others. */
  readonly via?: string;
  readonly viaKind?: ViaKind;
  readonly viaFile?: string;
  readonly viaLine?: number;
  /** Where the callee is defined, when the tree defines it. */
  readonly calleeFile?: string;
  readonly calleeLine?: number;
  /** Why an unresolved edge could not be resolved. */
  readonly reason?: string;
  /** Depth of the call site below the entry (the entry's own calls are 1). */
  readonly depth?: number;
}

export interface PathResult {
  readonly entry: FunctionInfo;
  readonly edges: readonly CallEdge[];
  /** Functions reached (entry included) that the tree defines. */
  readonly functions: readonly FunctionInfo[];
  /** True when maxNodes stopped the walk before the depth limit. */
  readonly truncated: boolean;
}

export interface PathOptions {
  readonly depth: number;
  readonly profile?: Profile;
  /** Stop expanding after this many functions (a whole tree without a profile fans out). */
  readonly maxFunctions?: number;
}

function edgeOf(
  caller: Located<FunctionFact>,
  call: CallFact,
  t: CallTarget,
  depth?: number,
): CallEdge {
  const p: Provenance | undefined = t.provenance;
  return {
    caller: displayName(caller.fact),
    callee: t.callee,
    file: caller.file,
    line: call.line,
    column: call.col,
    kind: t.kind,
    ...(p ? { via: p.via, viaKind: p.viaKind, viaFile: p.viaFile, viaLine: p.viaLine } : {}),
    ...(t.def ? { calleeFile: t.def.file, calleeLine: t.def.fact.line } : {}),
    ...(t.reason ? { reason: t.reason } : {}),
    ...(depth !== undefined ? { depth } : {}),
  };
}

/** Targets of one indirect call that the path walk follows further down. */
const MAX_FOLLOWED_TARGETS = 8;

const fnKey = (f: Located<FunctionFact>): string => `${f.file}#${f.fact.name}#${f.fact.line}`;

export class CallGraph {
  readonly resolver: Resolver;

  constructor(readonly index: KernelIndex) {
    this.resolver = new Resolver(index, index.language);
  }

  /** The entry a user names: a function or a syscall ("connect", "SYSCALL_DEFINE3(connect)"). */
  entry(name: string): Located<FunctionFact> {
    const found = this.index.resolveEntry(name);
    if (!found[0])
      throw new UnknownFunctionError(
        `no function or syscall named "${name}" in ${this.index.root}`,
      );
    return found[0];
  }

  /** Outgoing edges of one function (arguments bound by the caller, if any). */
  callees(
    fn: Located<FunctionFact>,
    options: { profile?: Profile; bindings?: Bindings } = {},
  ): CallEdge[] {
    const edges: CallEdge[] = [];
    for (const call of fn.fact.calls) {
      for (const t of this.resolver.resolveCall(call, fn, options)) edges.push(edgeOf(fn, call, t));
    }
    return dedupe(edges);
  }

  /**
   * Breadth-first from the entry down to `depth` calls. Functions passed as arguments are
   * bound to the callee's parameters, so NF_HOOK(..., ip_rcv_finish) continues into
   * ip_rcv_finish when NF_HOOK calls its `okfn`.
   */
  path(entryName: string, options: PathOptions): PathResult {
    const entry = this.entry(entryName);
    const maxFunctions = options.maxFunctions ?? 5000;
    const edges: CallEdge[] = [];
    const seen = new Map<string, Located<FunctionFact>>([[fnKey(entry), entry]]);
    /** Bindings each function was expanded with; a new binding re-resolves its pointer calls. */
    const boundSeen = new Map<string, Set<string>>();
    let frontier: { fn: Located<FunctionFact>; bindings?: Bindings }[] = [{ fn: entry }];
    let truncated = false;
    for (let depth = 1; depth <= options.depth && frontier.length; depth++) {
      const next: typeof frontier = [];
      for (const { fn, bindings } of frontier) {
        for (const call of fn.fact.calls) {
          const targets = this.resolver.resolveCall(call, fn, {
            ...(options.profile ? { profile: options.profile } : {}),
            ...(bindings ? { bindings } : {}),
          });
          for (const [i, t] of targets.entries()) {
            edges.push(edgeOf(fn, call, t, depth));
            // A call the profile does not narrow (a notifier chain, a driver op) can have
            // hundreds of targets: list them all, follow only the first few.
            if (!t.def || i >= MAX_FOLLOWED_TARGETS) continue;
            const calleeBindings = this.bindArguments(fn, call, t.def);
            const key = fnKey(t.def);
            if (!seen.has(key)) {
              if (seen.size >= maxFunctions) {
                truncated = true;
                continue;
              }
              seen.set(key, t.def);
              next.push({ fn: t.def, ...(calleeBindings ? { bindings: calleeBindings } : {}) });
            } else if (calleeBindings) {
              // Seen before, but now with other functions for its pointer parameters.
              const sig = [...calleeBindings].map(([p, b]) => `${p}=${b.fn}`).join(',');
              const set = boundSeen.get(key) ?? new Set<string>();
              if (!set.has(sig)) {
                set.add(sig);
                boundSeen.set(key, set);
                next.push({ fn: t.def, bindings: calleeBindings });
              }
            }
          }
        }
      }
      frontier = next;
    }
    return {
      entry: functionInfo(entry.file, entry.fact),
      edges: dedupe(edges),
      functions: [...seen.values()].map((f) => functionInfo(f.file, f.fact)),
      truncated,
    };
  }

  /** Function arguments of a call that land in the callee's function-pointer parameters. */
  private bindArguments(
    caller: Located<FunctionFact>,
    call: CallFact,
    callee: Located<FunctionFact>,
  ): Bindings | undefined {
    let out: Map<string, { fn: string; provenance: Provenance }> | undefined;
    call.args.forEach((arg, i) => {
      const param = callee.fact.params[i];
      if (!arg || !param || !param.type.fn) return;
      if (
        caller.fact.params.some((p) => p.name === arg) ||
        caller.fact.locals.some((l) => l.name === arg)
      )
        return;
      if (this.index.functionDefs(arg, caller.file).length === 0) return;
      out ??= new Map();
      out.set(param.name, {
        fn: arg,
        provenance: {
          via: `${callee.fact.name}.${param.name}`,
          viaKind: 'argument',
          viaFile: caller.file,
          viaLine: call.line,
        },
      });
    });
    return out;
  }

  /**
   * Incoming edges: direct calls by name, calls through every ops field the function is
   * stored in (initializers and assignments), calls through a pointer parameter it is passed
   * to, and INDIRECT_CALL wrappers that name it.
   */
  callers(name: string, options: { profile?: Profile } = {}): CallEdge[] {
    const target = this.entry(name);
    const fname = target.fact.name;
    const edges: CallEdge[] = [];
    // A static function in a .c file can only be named in that file: no need to read the tree.
    const withName =
      target.fact.isStatic && target.file.endsWith('.c')
        ? [target.file]
        : this.index.filesContaining(fname);
    // Where is the function stored? Those fields' call sites call it.
    const storedIn: { struct: string; field: string; provenance: Provenance }[] = [];
    for (const file of withName) {
      const facts = this.index.factsOf(file);
      if (!facts) continue;
      for (const init of facts.initializers) {
        for (const e of init.entries) {
          if (e.value !== fname || e.path.length !== 1) continue;
          const structName = this.resolver.types.structName(init.type);
          if (!structName) continue;
          const owner =
            init.isArray && e.element !== undefined ? `${init.name}[${e.element}]` : init.name;
          storedIn.push({
            struct: structName,
            field: e.path[0]!,
            provenance: {
              via: `${owner}.${e.path[0]}`,
              viaKind: 'initializer',
              viaFile: file,
              viaLine: e.line,
            },
          });
        }
      }
      for (const fn of facts.functions) {
        const located = { file, fact: fn };
        for (const a of fn.assigns) {
          if (a.value !== fname || a.lhs.k !== 'fld') continue;
          const structName = this.resolver.types.structName(
            this.resolver.types.typeOf(a.lhs.b, { file, fn, line: a.line }),
          );
          if (structName)
            storedIn.push({
              struct: structName,
              field: a.field,
              provenance: {
                via: `${fn.name}: ${a.text}`,
                viaKind: 'assignment',
                viaFile: file,
                viaLine: a.line,
              },
            });
        }
        for (const call of fn.calls) {
          if (call.callee.k === 'id' && call.callee.n === fname) {
            edges.push(edgeOf(located, call, { kind: 'direct', callee: fname, def: target }));
          }
          if (call.hints?.includes(fname)) {
            edges.push(
              edgeOf(located, call, {
                kind: 'indirect',
                callee: fname,
                def: target,
                provenance: {
                  via: 'INDIRECT_CALL',
                  viaKind: 'hint',
                  viaFile: file,
                  viaLine: call.line,
                },
              }),
            );
          }
          // Passed as an argument into a function-pointer parameter: the callee calls it.
          call.args.forEach((arg, i) => {
            if (arg !== fname || call.callee.k !== 'id') return;
            const callee = this.index.functionDefs(call.callee.n, file)[0];
            const param = callee?.fact.params[i];
            if (!callee || !param?.type.fn) return;
            for (const inner of callee.fact.calls) {
              if (inner.callee.k === 'id' && inner.callee.n === param.name) {
                edges.push(
                  edgeOf(callee, inner, {
                    kind: 'indirect',
                    callee: fname,
                    def: target,
                    provenance: {
                      via: `${callee.fact.name}.${param.name}`,
                      viaKind: 'argument',
                      viaFile: file,
                      viaLine: call.line,
                    },
                  }),
                );
              }
            }
          });
        }
      }
    }
    // Call sites of those fields whose receiver has that struct type.
    const byField = new Map<string, string[]>();
    const fieldFiles = (field: string): string[] => {
      let files = byField.get(field);
      if (!files) {
        // Only files with a call through the field can hold a call site: `->connect(`,
        // `.connect(`, `(*x->connect)(`, `INDIRECT_CALL_n(x->handler, ...)`.
        files = this.index.filesContainingAny([
          `->${field}(`,
          `.${field}(`,
          `->${field})`,
          `->${field},`,
        ]);
        byField.set(field, files);
      }
      return files;
    };
    for (const stored of storedIn) {
      const chosen = options.profile?.initializerFor(stored.struct);
      if (chosen && !stored.provenance.via.startsWith(`${chosen.fact.name}.`)) continue;
      for (const file of fieldFiles(stored.field)) {
        const facts = this.index.factsOf(file);
        for (const fn of facts?.functions ?? []) {
          for (const call of fn.calls) {
            if (call.callee.k !== 'fld' || call.callee.f !== stored.field) continue;
            const sn = this.resolver.receiverStruct(call.callee, { file, fn, line: call.line });
            if (sn !== stored.struct) continue;
            edges.push(
              edgeOf({ file, fact: fn }, call, {
                kind: 'indirect',
                callee: fname,
                def: target,
                provenance: stored.provenance,
              }),
            );
          }
        }
      }
    }
    return dedupe(edges);
  }

  /**
   * `impls proto_ops.connect`: every function stored in that field, with where: the
   * initializer (or assigning function) and the line of its `.field =`.
   */
  impls(structName: string, field: string): ImplInfo[] {
    const name = /^(struct|union) /.test(structName) ? structName : `struct ${structName}`;
    return this.resolver.impls(name, field).map((i) => {
      const def = this.index.functionDefs(i.function, i.provenance.viaFile)[0];
      return {
        function: i.function,
        initializer: i.provenance.via.replace(/\.[^.]*$|: .*$/, ''),
        via: i.provenance.via,
        viaKind: i.provenance.viaKind,
        file: i.provenance.viaFile,
        line: i.provenance.viaLine,
        ...(def ? { functionFile: def.file, functionLine: def.fact.line } : {}),
      };
    });
  }
}

/** One implementation of an ops field, as `kernel-lens impls --json` prints it. */
export interface ImplInfo {
  /** The function stored: "inet_stream_connect". */
  readonly function: string;
  /** The initializer ("inet_stream_ops", "inetsw_array[0]") or the assigning function. */
  readonly initializer: string;
  /** "inet_stream_ops.connect" or "sock_init_data: sk->sk_data_ready = sock_def_readable" */
  readonly via: string;
  readonly viaKind: ViaKind;
  /** Where the function is stored: the `.connect =` line, or the assignment. */
  readonly file: string;
  readonly line: number;
  /** Where the function is defined, when the tree defines it. */
  readonly functionFile?: string;
  readonly functionLine?: number;
}

function dedupe(edges: CallEdge[]): CallEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = `${e.caller}|${e.callee}|${e.file}|${e.line}|${e.via ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export class UnknownFunctionError extends Error {}
