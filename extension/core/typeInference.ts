/**
 * Static types of expressions, as far as an ops-table call needs them: the struct type of
 * `expr` in `expr->field(...)`.
 *
 * Sources of types, in the order C scoping gives them: locals, parameters, globals; then
 * field chains through struct definitions (with anonymous members and the kernel's field
 * aliases such as `#define sk_prot __sk_common.skc_prot`), casts, calls to functions (their
 * return type) and to macros (their expansion is typed with the arguments bound, which
 * covers `container_of`, `container_of_const`, `inet_csk()` and `tcp_sk()` in 6.12). Macros
 * whose expansion cannot be typed but whose first argument can (`READ_ONCE(x)`,
 * `rcu_dereference(p)`) pass that type through.
 */
import type { CLanguage } from './cParser';
import { parseExpressionText } from './extract';
import type { ExprFact, FunctionFact, MacroFact, TypeRef } from './facts';
import type { KernelIndex, Located } from './kernelIndex';

/** Where an expression is evaluated: a file, and inside it maybe a function at a line. */
export interface Scope {
  readonly file: string;
  readonly fn?: FunctionFact;
  readonly line: number;
}

/** An expression together with what its names mean (macro parameters are bound this way). */
interface Bound {
  readonly expr: ExprFact;
  readonly env: Env;
  readonly scope: Scope;
}

type Env = ReadonlyMap<string, Bound>;

const EMPTY_ENV: Env = new Map();
const MAX_DEPTH = 24;

export class TypeInference {
  private readonly macroBodies = new Map<string, ExprFact>();

  constructor(
    private readonly index: KernelIndex,
    private readonly c: CLanguage,
  ) {}

  /** The type of `expr` evaluated in `scope`, or undefined when it cannot be known. */
  typeOf(expr: ExprFact, scope: Scope): TypeRef | undefined {
    return this.eval(expr, EMPTY_ENV, scope, 0);
  }

  /**
   * The struct (or union) a type designates once typedefs are followed: "struct sock".
   * Pointers are ignored: `p->f` and `s.f` both need the struct.
   */
  structName(type: TypeRef | undefined): string | undefined {
    let t = type;
    for (let i = 0; t && i < 6; i++) {
      if (/^(struct|union) /.test(t.name)) return t.name;
      const td = this.index.typedef(t.name);
      t = td?.fact.type;
    }
    return undefined;
  }

  /** The declared type of `field` in struct `structName`, following field aliases. */
  fieldType(structName: string, field: string, fromFile?: string): TypeRef | undefined {
    const s = this.index.struct(structName, fromFile);
    if (!s) return undefined;
    const f = s.fact.fields.find((x) => x.name === field);
    if (f) return qualifyAnon(f.type, s.file);
    // `#define sk_prot __sk_common.skc_prot`: a field name that is a macro for a chain.
    const alias = this.index.macro(field, s.file);
    if (alias && !alias.fact.params && /^[\w.>-]+$/.test(alias.fact.body)) {
      let cur: TypeRef | undefined = { name: structName, ptr: 0 };
      for (const part of alias.fact.body.split(/\.|->/)) {
        const sn = this.structName(cur);
        if (!sn || part === field) return undefined;
        cur = this.fieldTypeDirect(sn, part);
      }
      return cur;
    }
    return undefined;
  }

  private fieldTypeDirect(structName: string, field: string): TypeRef | undefined {
    const s = this.index.struct(structName);
    const f = s?.fact.fields.find((x) => x.name === field);
    return f && s ? qualifyAnon(f.type, s.file) : undefined;
  }

  // --- evaluation

  private eval(e: ExprFact, env: Env, scope: Scope, depth: number): TypeRef | undefined {
    if (depth > MAX_DEPTH) return undefined;
    switch (e.k) {
      case 'id': {
        const bound = env.get(e.n);
        if (bound) return this.eval(bound.expr, bound.env, bound.scope, depth + 1);
        return this.variableType(e.n, scope);
      }
      case 'fld': {
        const base = this.eval(e.b, env, scope, depth + 1);
        const sn = this.structName(base);
        return sn ? this.fieldType(sn, e.f, scope.file) : undefined;
      }
      case 'cast': {
        const bound = env.get(e.t.name);
        if (bound) {
          // A macro parameter used as a type: `(type *)` in container_of.
          const t = typeFromText(bound.expr);
          return t ? { name: t.name, ptr: t.ptr + e.t.ptr } : undefined;
        }
        if (e.t.name === 'void' || e.t.name === '?') return this.eval(e.e, env, scope, depth + 1);
        return e.t;
      }
      case 'deref':
      case 'idx': {
        const t = this.eval(e.e, env, scope, depth + 1);
        return t ? { name: t.name, ptr: Math.max(0, t.ptr - 1) } : undefined;
      }
      case 'addr': {
        const t = this.eval(e.e, env, scope, depth + 1);
        return t ? { name: t.name, ptr: t.ptr + 1 } : undefined;
      }
      case 'cond':
        return this.eval(e.a, env, scope, depth + 1) ?? this.eval(e.b, env, scope, depth + 1);
      case 'call':
        return this.callType(e, env, scope, depth);
      case 'other':
        return undefined;
    }
  }

  private variableType(name: string, scope: Scope): TypeRef | undefined {
    const fn = scope.fn;
    if (fn) {
      // The nearest declaration at or above the line wins (shadowing in inner blocks).
      let best: TypeRef | undefined;
      let bestLine = -1;
      for (const l of fn.locals) {
        if (l.name === name && l.line <= scope.line && l.line > bestLine) {
          best = l.type;
          bestLine = l.line;
        }
      }
      if (best) return best;
      const p = fn.params.find((x) => x.name === name);
      if (p) return p.type;
      const later = fn.locals.find((x) => x.name === name);
      if (later) return later.type;
    }
    return this.index.global(name, scope.file)?.fact.type;
  }

  private callType(
    e: Extract<ExprFact, { k: 'call' }>,
    env: Env,
    scope: Scope,
    depth: number,
  ): TypeRef | undefined {
    if (e.f.k !== 'id') return undefined;
    const name = e.f.n;
    if (env.has(name)) return undefined;
    const ret = this.index.returnType(name, scope.file);
    if (ret && ret.name !== '?') return ret;
    const macro = this.index.macro(name, scope.file);
    if (macro?.fact.params) {
      // Only an expansion that lands on a struct is trusted: READ_ONCE's expands to a cast
      // to `__unqual_scalar_typeof(x) *`, which says nothing by itself.
      const expanded = this.expandMacro(macro, e.a, env, scope, depth);
      if (expanded && this.structName(expanded)) return expanded;
    }
    // READ_ONCE(x), rcu_dereference(p), rcu_access_pointer(p)...: the value passes through.
    const first = e.a[0];
    if (macro && first) {
      const t = this.eval(first, env, scope, depth + 1);
      if (t && this.structName(t)) return t;
    }
    return undefined;
  }

  private expandMacro(
    macro: Located<MacroFact>,
    args: readonly ExprFact[],
    env: Env,
    scope: Scope,
    depth: number,
  ): TypeRef | undefined {
    const params = macro.fact.params ?? [];
    const key = `${macro.file}#${macro.fact.name}`;
    let body = this.macroBodies.get(key);
    if (!body) {
      body = parseExpressionText(this.c, macro.fact.body);
      this.macroBodies.set(key, body);
    }
    const inner = new Map<string, Bound>();
    params.forEach((p, i) => {
      const a = args[i];
      if (a && p !== '...') inner.set(p, { expr: a, env, scope });
    });
    return this.eval(body, inner, { file: macro.file, line: macro.fact.line }, depth + 1);
  }
}

/** Anonymous struct types are named per file; carry the file along in the name. */
function qualifyAnon(t: TypeRef, file: string): TypeRef {
  return t.name.includes('<anon') && !t.name.includes('@')
    ? { ...t, name: `${t.name}@${file}` }
    : t;
}

/** A type written as a macro argument: `struct tcp_sock`, `const struct sock`, `sock_t`. */
function typeFromText(e: ExprFact): TypeRef | undefined {
  const text = e.k === 'other' ? e.s : e.k === 'id' ? e.n : undefined;
  if (!text) return undefined;
  const m = /^(?:const\s+|volatile\s+)*((?:struct|union)\s+\w+|\w+)\s*(\**)$/.exec(text.trim());
  return m ? { name: m[1]!.replace(/\s+/g, ' '), ptr: m[2]!.length } : undefined;
}
