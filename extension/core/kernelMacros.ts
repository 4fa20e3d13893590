/**
 * Kernel macros that only annotate declarations (for sparse, the compiler or the linker) and
 * carry no meaning for navigation. tree-sitter-c does not know them, and each one it meets
 * produces an ERROR node, so the preprocessing pass blanks them out, keeping columns.
 *
 * Names come from include/linux/compiler_types.h, compiler_attributes.h, init.h, cache.h,
 * linux/indirect_call_wrapper.h and net/net_namespace.h (6.1 and 6.12).
 */

/** Annotation keywords written without arguments (`char __user *buf`). */
export const BARE_ANNOTATIONS: readonly string[] = [
  '__user',
  '__kernel',
  '__iomem',
  '__rcu',
  '__percpu',
  '__force',
  '__nocast',
  '__safe',
  '__private',
  '__bitwise',
  '__must_check',
  '__init',
  '__exit',
  '__cold',
  '__hot',
  '__always_inline',
  'noinline',
  '__noinline',
  '__net_init',
  '__net_exit',
  '__net_initdata',
  '__ro_after_init',
  '__read_mostly',
  '__initdata',
  '__initconst',
  '__refdata',
  '__exitdata',
  'notrace',
  '__weak',
  '__visible',
  'asmlinkage',
  '__latent_entropy',
  '__randomize_layout',
  '__packed',
  '__malloc',
  '__always_unused',
  '__maybe_unused',
  '__used',
  '__cacheline_aligned',
  '____cacheline_aligned',
  '____cacheline_aligned_in_smp',
  '__cacheline_aligned_in_smp',
  'INDIRECT_CALLABLE_SCOPE',
  '__no_kasan_or_inline',
  '__no_sanitize_address',
  '__nostackprotector',
  '__noreturn',
  '__pure',
  '__designated_init',
  '__no_randomize_layout',
  '__sched',
  '__lockfunc',
  '__ref',
  '__noclone',
  'noinstr',
  '__fix_address',
  '__kprobes',
  'nokprobe_inline',
  '__data_racy',
  '__always_unused',
  'fastcall',
];

/** Annotations that take a parenthesised argument list (`__acquires(&sk->sk_lock)`). */
export const CALL_ANNOTATIONS: readonly string[] = [
  '__acquires',
  '__releases',
  '__must_hold',
  '__cond_acquires',
  '__cond_releases',
  '__printf',
  '__scanf',
  '__aligned',
  '__section',
  '__counted_by',
  '__attribute__',
  '__attribute',
  '__alloc_size',
  '__diag_ignore_all',
  '__nonstring',
  '__assume_aligned',
  '__cleanup',
  '__free',
  '__guarded_by',
  '__pt_guarded_by',
  'INDIRECT_CALLABLE_DECLARE',
  '__releases_shared',
  '__acquires_shared',
  '__must_hold_shared',
  'CC_NO_INLINE',
];

/**
 * Macros that are never defined when the kernel is compiled as C, so `#ifdef NAME` is false
 * (and `#ifndef NAME` true). Every other condition is taken as true for its first branch.
 */
export const NEVER_DEFINED: ReadonlySet<string> = new Set([
  '__ASSEMBLY__',
  '__CHECKER__',
  '__GENKSYMS__',
  '__CDT_PARSER__',
  '__cplusplus',
]);

/** Macros always defined when the kernel is compiled. */
export const ALWAYS_DEFINED: ReadonlySet<string> = new Set([
  '__KERNEL__',
  '__GNUC__',
  'CONFIG_NET',
  'CONFIG_INET',
]);
