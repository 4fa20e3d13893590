/**
 * Where a call goes. A direct call goes to the definition of its name. A call through a
 * field, `expr->field(...)`, goes to every function stored in that field of a struct of the
 * static type of `expr`: by a static initializer (`.connect = inet_stream_connect`) or by an
 * assignment (`sk->sk_data_ready = sock_def_readable`). A profile narrows that to the one
 * that runs for its kind of socket. A call through a function parameter (`okfn(...)` in
 * NF_HOOK) goes to the functions callers pass in that position.
 *
 * Every indirect target says why it is one (initializer/assignment/argument, file:line); a
 * call whose receiver type cannot be inferred is reported as unresolved, with the expression.
 */
import type { CLanguage } from './cParser';
import type { CallFact, ExprFact, FunctionFact } from './facts';
import type { KernelIndex, Located } from './kernelIndex';
import type { Profile } from './profile';
import { TypeInference, type Scope } from './typeInference';

export type EdgeKind = 'direct' | 'indirect' | 'unresolved';

/** Why an indirect target is one. */
export type ViaKind = 'initializer' | 'assignment' | 'argument' | 'hint';

export interface Provenance {
  /** "inet_stream_ops.connect", "sock_init_data: sk->sk_data_ready", "NF_HOOK.okfn", "INDIRECT_CALL_INET" */
  readonly via: string;
  readonly viaKind: ViaKind;
  /** Where: the `.field =` line, the assignment, the passing call. */
  readonly viaFile: string;
  readonly viaLine: number;
}

export interface CallTarget {
  readonly kind: EdgeKind;
  /** The function called, or for an unresolved call the expression ("ops->accept"). */
  readonly callee: string;
  /** The callee's definition, when the tree has one. */
  readonly def?: Located<FunctionFact>;
  readonly provenance?: Provenance;
  /** For unresolved calls: why. */
  readonly reason?: string;
}

/** One function stored in a struct field somewhere in the tree. */
export interface Impl {
  /** "struct proto_ops" */
  readonly struct: string;
  readonly field: string;
  /** The function stored. */
  readonly function: string;
  readonly provenance: Provenance;
}

/** Functions bound to a function's pointer parameters by the call that reached it. */
export type Bindings = ReadonlyMap<
  string,
  { readonly fn: string; readonly provenance: Provenance }
>;

export class Resolver {
  readonly types: TypeInference;
  private readonly implCache = new Map<string, Impl[]>();

  constructor(
    readonly index: KernelIndex,
    c: CLanguage,
  ) {
    this.types = new TypeInference(index, c);
  }

  /** The struct type of the receiver of `expr->field(...)`, e.g. "struct proto_ops". */
  receiverStruct(callee: ExprFact, scope: Scope): string | undefined {
    if (callee.k !== 'fld') return undefined;
    return this.types.structName(this.types.typeOf(callee.b, scope));
  }

  /** Every target of one call site. */
  resolveCall(
    call: CallFact,
    fn: Located<FunctionFact>,
    options: { profile?: Profile; bindings?: Bindings } = {},
  ): CallTarget[] {
    const scope: Scope = { file: fn.file, fn: fn.fact, line: call.line };
    let callee = call.callee;
    for (;;) {
      if (callee.k === 'deref') callee = callee.e;
      // `READ_ONCE(sk->sk_data_ready)(sk)`: calling what a macro reads calls its argument.
      else if (
        callee.k === 'call' &&
        callee.f.k === 'id' &&
        callee.a[0] &&
        !this.index.functionDefs(callee.f.n, fn.file).length &&
        this.index.macro(callee.f.n, fn.file)
      )
        callee = callee.a[0];
      else break;
    }
    if (callee.k === 'id') return this.resolveNamed(callee.n, call, fn, options.bindings);
    if (callee.k !== 'fld') {
      return [
        {
          kind: 'unresolved',
          callee: call.text,
          reason: 'the called expression is not a name or a field',
        },
      ];
    }
    const structName = this.receiverStruct(callee, scope);
    const hintTargets = (call.hints ?? []).map((h) => this.hintTarget(h, call, fn));
    if (!structName) {
      if (hintTargets.length) return hintTargets;
      return [
        {
          kind: 'unresolved',
          callee: call.text,
          reason: `the type of ${exprText(callee.b)} is not known`,
        },
      ];
    }
    const field = callee.f;
    const profile = options.profile;
    const chosen = profile?.initializerFor(structName);
    if (chosen) {
      const entry = chosen.fact.entries.find((e) => e.path.length === 1 && e.path[0] === field);
      // The profile's table leaves this field NULL: nothing runs for this kind of socket.
      if (!entry) return [];
      return [
        this.target(entry.value, fn.file, {
          via: `${chosen.fact.name}.${field}`,
          viaKind: 'initializer',
          viaFile: chosen.file,
          viaLine: entry.line,
        }),
      ];
    }
    const assigned = profile?.assignmentFor(structName, field);
    const impls = this.impls(structName, field);
    if (assigned) {
      const impl = impls.find((i) => i.function === assigned);
      if (impl) return [this.target(impl.function, fn.file, impl.provenance)];
    }
    const out = impls.map((i) => this.target(i.function, fn.file, i.provenance));
    for (const h of hintTargets) if (!out.some((o) => o.callee === h.callee)) out.push(h);
    if (out.length === 0) {
      return [
        {
          kind: 'unresolved',
          callee: call.text,
          reason: `no initializer or assignment in the tree stores a named function in ${structName}.${field} (it may be stored from a variable)`,
        },
      ];
    }
    return out;
  }

  private hintTarget(name: string, call: CallFact, fn: Located<FunctionFact>): CallTarget {
    return this.target(name, fn.file, {
      via: 'INDIRECT_CALL',
      viaKind: 'hint',
      viaFile: fn.file,
      viaLine: call.line,
    });
  }

  private target(name: string, fromFile: string, provenance: Provenance): CallTarget {
    const def = this.index.functionDefs(name, fromFile)[0];
    return { kind: 'indirect', callee: name, ...(def ? { def } : {}), provenance };
  }

  private resolveNamed(
    name: string,
    call: CallFact,
    fn: Located<FunctionFact>,
    bindings?: Bindings,
  ): CallTarget[] {
    const f = fn.fact;
    const param = f.params.find((p) => p.name === name);
    const local = f.locals.find((l) => l.name === name);
    if (param || local) {
      // A call through a function pointer variable.
      const bound = param ? bindings?.get(name) : undefined;
      if (bound) return [this.target(bound.fn, fn.file, bound.provenance)];
      return [
        {
          kind: 'unresolved',
          callee: call.text,
          reason: `${name} is a function pointer ${param ? 'parameter' : 'variable'}; its targets depend on the caller`,
        },
      ];
    }
    const def = this.index.functionDefs(name, fn.file)[0];
    if (def) return [{ kind: 'direct', callee: name, def }];
    // Macros and functions the tree does not define in C (assembly, generated): no edge.
    return [];
  }

  /**
   * Every function stored in `structName.field` anywhere in the tree: fields of static
   * initializers (arrays of structs included) and assignments in function bodies.
   */
  impls(structName: string, field: string): Impl[] {
    const key = `${structName}.${field}`;
    const cached = this.implCache.get(key);
    if (cached) return cached;
    const out: Impl[] = [];
    const tag = structName.replace(/^(struct|union) /, '');
    const setters = new Set(this.index.filesWith('sets', field));
    for (const init of this.index.initializersOfType(tag)) {
      if (!setters.has(init.file) || init.fact.type.name !== structName) continue;
      for (const e of init.fact.entries) {
        if (e.path.length !== 1 || e.path[0] !== field || !this.index.mayDefine(e.value)) continue;
        const owner =
          init.fact.isArray && e.element !== undefined
            ? `${init.fact.name}[${e.element}]`
            : init.fact.name;
        out.push({
          struct: structName,
          field,
          function: e.value,
          provenance: {
            via: `${owner}.${field}`,
            viaKind: 'initializer',
            viaFile: init.file,
            viaLine: e.line,
          },
        });
      }
    }
    for (const file of setters) {
      // An assignment through a `struct sock *` lives in a file that names `struct sock`, or
      // goes through an accessor or cast (`inet_csk(sk)->icsk_clean_acked = ...`): a byte
      // search spares parsing every file that sets some other `release` or `init`.
      if (
        !this.index.fileContainsAny(file, [`${structName} `, `${structName}\t`, `)->${field} =`])
      ) {
        continue;
      }
      const facts = this.index.factsOf(file);
      if (!facts) continue;
      for (const fn of facts.functions) {
        for (const a of fn.assigns) {
          if (a.field !== field || a.lhs.k !== 'fld' || !this.index.mayDefine(a.value)) continue;
          const sn = this.types.structName(this.types.typeOf(a.lhs.b, { file, fn, line: a.line }));
          if (sn !== structName) continue;
          // Only functions count: `sk->sk_prot = answer_prot` stores a table, not code.
          if (this.index.functionDefs(a.value, file).length === 0) continue;
          out.push({
            struct: structName,
            field,
            function: a.value,
            provenance: {
              via: `${fn.name}: ${a.text}`,
              viaKind: 'assignment',
              viaFile: file,
              viaLine: a.line,
            },
          });
        }
      }
    }
    // Initializers may name things that are not functions (`.ops = &inet_stream_ops`).
    const functions = out.filter(
      (i) =>
        i.provenance.viaKind === 'assignment' ||
        this.index.functionDefs(i.function, i.provenance.viaFile).length > 0,
    );
    this.implCache.set(key, functions);
    return functions;
  }
}

/** An expression written back as C, for messages. */
export function exprText(e: ExprFact): string {
  switch (e.k) {
    case 'id':
      return e.n;
    case 'fld':
      return `${exprText(e.b)}->${e.f}`;
    case 'call':
      return `${exprText(e.f)}(${e.a.map(exprText).join(', ')})`;
    case 'cast':
      return `(${e.t.name} ${'*'.repeat(e.t.ptr)})${exprText(e.e)}`;
    case 'deref':
      return `*${exprText(e.e)}`;
    case 'addr':
      return `&${exprText(e.e)}`;
    case 'idx':
      return `${exprText(e.e)}[]`;
    case 'cond':
      return `(${exprText(e.a)} : ${exprText(e.b)})`;
    case 'other':
      return e.s ?? '…';
  }
}
