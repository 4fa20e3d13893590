; Document symbols (Outline, Go to Symbol in Editor) of kernel C, for tree-sitter-c 0.24.1.
; Read by extension/server/documentSymbols.ts. Each pattern captures one symbol as @KIND
; (the whole node, its range) and @KIND.name (the selection range); extra captures are
; details. KIND is one of: function, syscall, struct, union, enum, ops, field.

; --- functions

(function_definition
  declarator: (function_declarator
    declarator: (identifier) @function.name
    parameters: (parameter_list) @function.params)) @function

; `struct sock *inet_csk_accept(...)`, `char **f(...)`
(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (identifier) @function.name
      parameters: (parameter_list) @function.params))) @function
(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @function.name
        parameters: (parameter_list) @function.params)))) @function

; Error recovery around section attributes without a preprocessor: in
; `static int __init sock_init(void) {...}` tree-sitter-c takes `static int __init` for an
; error, `sock_init` for the type and `(void)` for a parenthesized declarator.
(function_definition
  type: (type_identifier) @function.name
  declarator: (parenthesized_declarator) @function.params
  body: (compound_statement)) @function

; --- syscalls
; Unpreprocessed, `SYSCALL_DEFINE3(connect, int, fd, ...) { ... }` parses as a call statement
; (with a MISSING ";") followed by an orphan block: pair the two. When the source is
; normalized first, the header becomes an ordinary function definition, and
; documentSymbols.ts names it after the macro on its line instead.
(_
  (expression_statement
    (call_expression
      function: (identifier) @syscall.macro
      arguments: (argument_list . (identifier) @syscall.name))) @syscall
  .
  (compound_statement) @syscall.body
  (#match? @syscall.macro "^(COMPAT_)?SYSCALL_DEFINE[0-6]$"))

; --- types

(struct_specifier
  name: (type_identifier) @struct.name
  body: (field_declaration_list)) @struct
(union_specifier
  name: (type_identifier) @union.name
  body: (field_declaration_list)) @union
(enum_specifier
  name: (type_identifier) @enum.name
  body: (enumerator_list)) @enum

; --- ops tables: `const struct proto_ops inet_stream_ops = { .connect = inet_stream_connect, ... };`

(declaration
  type: (struct_specifier name: (type_identifier) @ops.type)
  declarator: (init_declarator
    declarator: (identifier) @ops.name
    value: (initializer_list (initializer_pair)))) @ops

; Its designated initializers. documentSymbols.ts keeps only those inside an @ops symbol
; (initializer lists also occur in function bodies).
(initializer_pair
  designator: (field_designator (field_identifier) @field.name)
  value: (_) @field.value) @field
