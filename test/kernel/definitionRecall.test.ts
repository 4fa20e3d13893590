/**
 * Function-definition recall against universal-ctags over net/ of Linux 6.1: the share of
 * the functions ctags finds that the index also finds. ctags reads the source as text, so it
 * is a fair, independent reference; what it reports and we do not is printed by category.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadC } from '../../extension/core/cParser';
import { extractFacts } from '../../extension/core/extract';
import { kernelTreePath } from '../../extension/kernelSources/trees';

/** Names ctags reports for macro-generated definitions: the macro, not a C function. */
const MACRO_DEFINED =
  /^(?:COMPAT_)?SYSCALL_DEFINE\d$|^BPF_CALL_\d$|^DEFINE_|^BTF_ID_|_FUNCS\d?$|^RB_DECLARE|^META_COLLECTOR$|^__(?:acquires|releases)$/;

void describe('function definitions vs ctags (net/ of Linux 6.1)', () => {
  void it('finds at least 99% of what ctags finds', async (t) => {
    const root = kernelTreePath('6.1');
    const out = execFileSync('ctags', ['-x', '--c-kinds=f', '--languages=C', '-R', 'net'], {
      cwd: root,
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const expected = new Map<string, Set<string>>();
    for (const line of out.split('\n')) {
      const m = /^(\S+)\s+function\s+\d+\s+(\S+)/.exec(line);
      if (!m) continue;
      const set = expected.get(m[2]!) ?? new Set<string>();
      set.add(m[1]!);
      expected.set(m[2]!, set);
    }
    const c = await loadC();
    let total = 0;
    let found = 0;
    const macroNamed: string[] = [];
    const missed: string[] = [];
    for (const [file, names] of expected) {
      const facts = extractFacts(c, readFileSync(join(root, file), 'latin1'));
      const have = new Set(facts.functions.map((f) => f.name));
      const hasSyscalls = facts.functions.some((f) => f.syscall);
      for (const name of names) {
        total++;
        if (have.has(name) || (hasSyscalls && /SYSCALL_DEFINE/.test(name))) found++;
        else if (MACRO_DEFINED.test(name)) macroNamed.push(`${file}: ${name}`);
        else missed.push(`${file}: ${name}`);
      }
    }
    const recall = (found / total) * 100;
    // Macro-generated names (BPF_CALL_2(...) { }) are not functions we could name either way;
    // they count as misses in the figure, and are listed apart.
    t.diagnostic(`ctags functions: ${total}; found: ${found}; recall ${recall.toFixed(2)}%`);
    t.diagnostic(
      `missed, named after a defining macro by ctags (${macroNamed.length}): ${macroNamed.slice(0, 12).join(', ')}`,
    );
    t.diagnostic(`missed otherwise (${missed.length}): ${missed.join(', ')}`);
    assert.ok(recall >= 99, `recall ${recall.toFixed(2)}% is under 99%`);
  });
});
