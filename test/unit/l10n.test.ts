/**
 * The localized strings stay complete: every `%key%` of package.json has an English and a
 * Chinese text, every `vscode.l10n.t('...')` of the client has a Chinese translation with the
 * same {n} placeholders, and no translation is left over from a removed string.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../extension/kernelSources/paths';

const ROOT = packageRoot();
const json = (file: string) =>
  JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

void describe('localized strings', () => {
  void it('package.json: every %key% in English and Chinese, and nothing else', () => {
    const manifest = readFileSync(join(ROOT, 'package.json'), 'utf8');
    const keys = [...new Set([...manifest.matchAll(/"%([\w.]+)%"/g)].map((m) => m[1]!))].sort();
    assert.ok(keys.includes('command.openEmbeddedSources'));
    assert.deepEqual(Object.keys(json('package.nls.json')).sort(), keys);
    assert.deepEqual(Object.keys(json('package.nls.zh-cn.json')).sort(), keys);
  });

  void it('client: every l10n.t string has a Chinese translation with the same placeholders', () => {
    const dir = join(ROOT, 'extension', 'client');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const m of source.matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) used.add(m[1]!);
    }
    assert.ok(used.size > 5, 'found the client strings');
    const zh = json('l10n/bundle.l10n.zh-cn.json');
    for (const text of used) {
      assert.ok(text in zh, `no zh-cn translation of "${text}"`);
      assert.deepEqual(placeholders(zh[text]!), placeholders(text), `placeholders of "${text}"`);
    }
    assert.deepEqual(
      Object.keys(zh).filter((k) => !used.has(k)),
      [],
      'translations of unused strings',
    );
  });
});
