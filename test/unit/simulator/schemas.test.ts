/**
 * The simulator's data files against their JSON Schemas, so the schemas an editor validates
 * with stay true to the data. The checker below covers the draft-07 keywords those schemas
 * use (and fails on any other), which keeps the project free of a validator dependency.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJson, SCENARIOS } from './helpers';

type Schema = Record<string, unknown>;

const HANDLED = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'pattern',
  'minItems',
  'minLength',
  'minimum',
  'maximum',
  'oneOf',
  'allOf',
  '$ref',
  'definitions',
]);

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Returns the problems found, each with its JSON path; none means valid. */
function validate(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema))
    if (!HANDLED.has(k)) return [`${path}: schema keyword "${k}" is not checked here`];
  if (typeof schema['$ref'] === 'string') {
    const name = /^#\/definitions\/(.+)$/.exec(schema['$ref'])?.[1];
    const target = name ? (root['definitions'] as Record<string, Schema>)[name] : undefined;
    return target ? validate(root, target, value, path) : [`${path}: unresolved ${schema['$ref']}`];
  }
  const out: string[] = [];
  const t = typeOf(value);
  const types =
    schema['type'] === undefined
      ? []
      : ([] as string[]).concat(schema['type'] as string | string[]);
  if (types.length && !types.some((x) => x === t || (x === 'number' && t === 'integer')))
    return [`${path}: ${t}, want ${types.join('|')}`];
  if (schema['enum'] && !(schema['enum'] as unknown[]).includes(value))
    out.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema['pattern'] && !new RegExp(schema['pattern'] as string).test(value))
      out.push(`${path}: "${value}" !~ ${schema['pattern']}`);
    if (typeof schema['minLength'] === 'number' && value.length < schema['minLength'])
      out.push(`${path}: too short`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum'])
      out.push(`${path}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum'])
      out.push(`${path}: above maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems'])
      out.push(`${path}: too few items`);
    if (schema['items'])
      value.forEach((v, i) =>
        out.push(...validate(root, schema['items'] as Schema, v, `${path}[${i}]`)),
      );
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of (schema['required'] as string[] | undefined) ?? [])
      if (!(r in obj)) out.push(`${path}: missing ${r}`);
    const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (schema['propertyNames'])
        out.push(...validate(root, schema['propertyNames'] as Schema, k, `${path}.<${k}>`));
      if (props[k]) out.push(...validate(root, props[k], v, `${path}.${k}`));
      else if (schema['additionalProperties'] === false)
        out.push(`${path}: unexpected property ${k}`);
      else if (typeof schema['additionalProperties'] === 'object') {
        out.push(...validate(root, schema['additionalProperties'] as Schema, v, `${path}.${k}`));
      }
    }
  }
  if (schema['allOf'])
    for (const s of schema['allOf'] as Schema[]) out.push(...validate(root, s, value, path));
  if (schema['oneOf']) {
    const ok = (schema['oneOf'] as Schema[]).filter(
      (s) => validate(root, s, value, path).length === 0,
    ).length;
    if (ok !== 1) out.push(`${path}: matches ${ok} of oneOf`);
  }
  return out;
}

void describe('simulator data against its JSON Schemas', () => {
  void it('every scenario matches scenario.schema.json', () => {
    const schema = readJson<Schema>('scenario.schema.json');
    for (const name of SCENARIOS)
      assert.deepEqual(validate(schema, schema, readJson('scenarios', `${name}.json`)), [], name);
  });

  void it('anchors.json and both explanation files match their schemas', () => {
    const anchors = readJson<Schema>('anchors.schema.json');
    assert.deepEqual(validate(anchors, anchors, readJson('anchors.json')), []);
    const explanations = readJson<Schema>('explanations.schema.json');
    for (const lang of ['en', 'zh-CN']) {
      assert.deepEqual(
        validate(explanations, explanations, readJson(`explanations.${lang}.json`)),
        [],
        lang,
      );
    }
  });

  void it('the checker does reject what the schemas forbid', () => {
    const schema = readJson<Schema>('scenario.schema.json');
    const bad = {
      ...readJson<Record<string, unknown>>('scenarios', 'normal.json'),
      extra: 1,
      name: 'Bad Name',
    };
    const problems = validate(schema, schema, bad);
    assert.ok(problems.some((p) => p.includes('unexpected property extra')));
    assert.ok(problems.some((p) => p.includes('"Bad Name"')));
    const noOp = {
      ...readJson<Record<string, unknown>>('scenarios', 'refused.json'),
      hosts: [{ name: 'client', program: [{ op: 'fly' }] }],
    };
    assert.ok(validate(schema, schema, noOp).some((p) => p.includes('not in enum')));
  });
});
