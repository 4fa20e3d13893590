; What the core index extracts from one kernel C file (tree-sitter-c 0.24.1).
; Read by extension/core/extract.ts, which turns each capture into plain facts
; (extension/core/facts.ts). The file is preprocessed first (extension/core/preprocess.ts),
; so SYSCALL_DEFINEn(...) bodies are ordinary function definitions here.
;
; Patterns match anywhere, also inside ERROR nodes: that is how definitions survive
; tree-sitter's error recovery. extract.ts decides what is global and what belongs to which
; function by position.

(function_definition) @function

; Named and anonymous structs / unions with a body. Anonymous members are flattened into
; their parent by extract.ts.
(struct_specifier body: (field_declaration_list)) @struct
(union_specifier body: (field_declaration_list)) @struct

(type_definition) @typedef

(preproc_function_def) @macro
(preproc_def) @macro

; File-scope objects, initializers, prototypes; inside a body: locals.
(declaration) @declaration

(call_expression) @call

; `sk->sk_data_ready = sock_def_readable;`, `rt->dst.output = ip_output;`
(assignment_expression left: (field_expression)) @assign
