/**
 * Dispatch profiles: which target of an indirect call runs for one kind of socket. A profile
 * is data (kernel-snippets/profiles/<name>.json); loading it against a tree checks every name
 * it gives, so a profile that does not fit the tree fails loudly instead of silently showing
 * nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InitializerFact } from './facts';
import type { KernelIndex, Located } from './kernelIndex';

export interface ProfileData {
  readonly name: string;
  readonly description: string;
  /**
   * "struct proto" → "tcp_prot". A list names the same table across versions, the first
   * the tree has wins: 6.1 has `tcp_protocol`, 6.12 fills `net_hotdata.tcp_protocol`.
   */
  readonly initializers: Readonly<Record<string, string | readonly string[]>>;
  /** "struct sock.sk_data_ready" → "sock_def_readable" */
  readonly assignments?: Readonly<Record<string, string>>;
}

/** A profile checked against one tree. */
export interface Profile {
  readonly name: string;
  /** The initializer chosen for a struct type, with where it is. */
  initializerFor(structName: string): Located<InitializerFact> | undefined;
  /** The function chosen for a function pointer set by assignment. */
  assignmentFor(structName: string, field: string): string | undefined;
}

export class ProfileError extends Error {}

export function profilesDir(packageRoot: string): string {
  return join(packageRoot, 'kernel-snippets', 'profiles');
}

export function listProfiles(packageRoot: string): string[] {
  const dir = profilesDir(packageRoot);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.replace(/\.json$/, ''));
}

export function readProfile(packageRoot: string, name: string): ProfileData {
  const path = join(profilesDir(packageRoot), `${name}.json`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(path)) {
    throw new ProfileError(`no profile "${name}" (known: ${listProfiles(packageRoot).join(', ')})`);
  }
  const data = JSON.parse(readFileSync(path, 'utf8')) as ProfileData;
  if (typeof data.initializers !== 'object' || data.initializers === null) {
    throw new ProfileError(`${path}: "initializers" must be an object`);
  }
  return data;
}

/**
 * Checks a profile against the tree: every initializer must exist with the struct type the
 * profile gives it, every assigned function must be defined. Errors name each problem.
 */
export function bindProfile(index: KernelIndex, data: ProfileData): Profile {
  const problems: string[] = [];
  const chosen = new Map<string, Located<InitializerFact>>();
  for (const [structName, names] of Object.entries(data.initializers)) {
    const alternatives = typeof names === 'string' ? [names] : names;
    const tag = structName.replace(/^(struct|union) /, '');
    let right: Located<InitializerFact> | undefined;
    const wrongType: string[] = [];
    for (const init of alternatives) {
      // A plain name is found through the scan's definitions; only a compound literal's
      // left side (`net_hotdata.tcp_protocol`) needs the initializers of the type, and
      // those are few (every `struct file_operations x = {` in a tree is not).
      const found = init.includes('.')
        ? index.initializersOfType(tag).filter((i) => i.fact.name === init)
        : index.initializer(init);
      right = found.find((f) => f.fact.type.name === structName);
      if (right) break;
      for (const f of found)
        wrongType.push(`"${init}" is a ${f.fact.type.name}, not a ${structName}`);
    }
    if (right) chosen.set(structName, right);
    else if (wrongType.length) problems.push(wrongType.join('; '));
    else
      problems.push(
        `no initializer ${alternatives.map((a) => `"${a}"`).join(' or ')} (for ${structName}) in this tree`,
      );
  }
  for (const [target, fn] of Object.entries(data.assignments ?? {})) {
    if (index.functionDefs(fn).length === 0)
      problems.push(`function "${fn}" (for ${target}) is not defined in this tree`);
  }
  if (problems.length) {
    throw new ProfileError(
      `profile "${data.name}" does not fit ${index.root}:\n  ${problems.join('\n  ')}`,
    );
  }
  const assignments = new Map(Object.entries(data.assignments ?? {}));
  return {
    name: data.name,
    initializerFor: (structName) => chosen.get(structName),
    assignmentFor: (structName, field) => assignments.get(`${structName}.${field}`),
  };
}
