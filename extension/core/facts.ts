/**
 * What one C file yields to the index: plain, JSON-serializable data, cached by the file's
 * content hash. Nothing here refers to a tree-sitter node: trees are deleted right after
 * extraction, and facts of thousands of files must fit in memory at once.
 *
 * Positions: `line` is 1-based, `col` 0-based (both in the original file: the preprocessing
 * pass keeps them).
 */

/** Bump when the extractor's output changes, so cached facts of the old shape are ignored. */
export const FACTS_VERSION = 10;

/** A declared type, reduced to what navigation needs. */
export interface TypeRef {
  /** "struct sock", "union tcp_md5_addr", "enum sock_type", "u32", "sk_buff_data_t" */
  readonly name: string;
  /** Levels of pointer (`struct sock **` → 2). Arrays count as one more level. */
  readonly ptr: number;
  /** A pointer to function (a `(*name)(...)` declarator). */
  readonly fn?: true;
}

/**
 * An expression reduced to what static typing needs: identifiers, field accesses, calls,
 * casts. `k` tags keep cached facts small.
 */
export type ExprFact =
  | { readonly k: 'id'; readonly n: string }
  | { readonly k: 'fld'; readonly b: ExprFact; readonly f: string }
  | { readonly k: 'call'; readonly f: ExprFact; readonly a: readonly ExprFact[] }
  | { readonly k: 'cast'; readonly t: TypeRef; readonly e: ExprFact }
  | { readonly k: 'deref'; readonly e: ExprFact }
  | { readonly k: 'addr'; readonly e: ExprFact }
  | { readonly k: 'idx'; readonly e: ExprFact }
  | { readonly k: 'cond'; readonly a: ExprFact; readonly b: ExprFact }
  /** Anything else; `s` keeps its text where that matters (a type name in a macro body). */
  | { readonly k: 'other'; readonly s?: string };

export interface VarFact {
  readonly name: string;
  readonly type: TypeRef;
  readonly line: number;
}

export interface CallFact {
  readonly line: number;
  readonly col: number;
  /** What is called: an identifier for a direct call, a field access for an ops call. */
  readonly callee: ExprFact;
  /** Arguments that are bare identifiers (maybe functions passed along), else null. */
  readonly args: readonly (string | null)[];
  /** Likely targets named by INDIRECT_CALL_n / INDIRECT_CALL_INET wrappers. */
  readonly hints?: readonly string[];
  /** The callee as written, e.g. "sock->ops->connect". */
  readonly text: string;
}

/** `lhs->field = function;` inside a body: a function pointer set outside an initializer. */
export interface AssignFact {
  readonly line: number;
  readonly col: number;
  readonly lhs: ExprFact;
  /** The field assigned: the last field of `lhs`. */
  readonly field: string;
  /** The identifier assigned (maybe a function). */
  readonly value: string;
  readonly text: string;
}

export interface FunctionFact {
  readonly name: string;
  readonly line: number;
  readonly col: number;
  /** First line of the definition (return type), and the closing brace's line. */
  readonly startLine: number;
  readonly endLine: number;
  readonly isStatic: boolean;
  readonly returnType: TypeRef;
  /** "int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)" */
  readonly signature: string;
  readonly params: readonly VarFact[];
  readonly locals: readonly VarFact[];
  readonly calls: readonly CallFact[];
  readonly assigns: readonly AssignFact[];
  /** Set for SYSCALL_DEFINEn(name, ...) bodies. */
  readonly syscall?: { readonly name: string; readonly arity: number; readonly compat: boolean };
}

export interface FieldFact {
  readonly name: string;
  readonly type: TypeRef;
  readonly line: number;
}

export interface StructFact {
  /** "struct sock" / "union x"; anonymous ones get "struct <anon file:line>". */
  readonly name: string;
  readonly line: number;
  readonly endLine: number;
  /** Fields of anonymous members are flattened in, as C lets them be named. */
  readonly fields: readonly FieldFact[];
}

/** One `.field = value` of a static initializer (a path for nested ones: ["dst", "output"]). */
export interface InitEntry {
  readonly path: readonly string[];
  /** The identifier assigned, without `&`. */
  readonly value: string;
  readonly line: number;
  readonly col: number;
  /** Index of the array element this entry is in, for arrays of structs. */
  readonly element?: number;
}

export interface InitializerFact {
  /**
   * The object's name: "inet_stream_ops", "inetsw_array"; for a compound literal assigned
   * in a body, its left side: "net_hotdata.tcp_protocol".
   */
  readonly name: string;
  readonly type: TypeRef;
  readonly line: number;
  readonly isArray: boolean;
  readonly entries: readonly InitEntry[];
}

export interface MacroFact {
  readonly name: string;
  /** Parameters of a function-like macro; absent for object-like ones. */
  readonly params?: readonly string[];
  /** The replacement text, continuation lines joined. */
  readonly body: string;
  readonly line: number;
}

export interface TypedefFact {
  readonly name: string;
  readonly type: TypeRef;
  readonly line: number;
}

/** A declaration of a function without its body (headers): its return type. */
export interface PrototypeFact {
  readonly name: string;
  readonly returnType: TypeRef;
  readonly line: number;
}

export interface FileFacts {
  readonly version: number;
  readonly functions: readonly FunctionFact[];
  readonly structs: readonly StructFact[];
  readonly globals: readonly VarFact[];
  readonly initializers: readonly InitializerFact[];
  readonly macros: readonly MacroFact[];
  readonly typedefs: readonly TypedefFact[];
  readonly prototypes: readonly PrototypeFact[];
  /** Lines inside ERROR nodes after recovery: a measure of how much the parser lost. */
  readonly errorLines: number;
}
