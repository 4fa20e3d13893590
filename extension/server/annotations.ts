/**
 * The project's own notes on kernel functions (kernel-snippets/annotations/*.json, schema in
 * annotations.schema.json beside them): keyed by symbol, never by line, each naming the
 * kernel versions, upstream path and symbol it was written from, in English and Chinese.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lang } from './lens';

/** One entry of an annotation file, as the schema describes it. */
export interface Annotation {
  /** Where it was written from, e.g. { kernels: ["6.1", "6.12"], path: "net/ipv4/tcp_ipv4.c", symbol: "tcp_v4_connect" }. */
  readonly provenance: {
    readonly kernels: readonly string[];
    readonly path: string;
    readonly symbol: string;
  };
  /** e.g. "connect", "handshake" */
  readonly topics: readonly string[];
  readonly text: Readonly<Record<Lang, string>>;
}

export interface AnnotationFile {
  readonly annotations: Readonly<Record<string, Annotation>>;
}

export function annotationsDir(packageRoot: string): string {
  return join(packageRoot, 'kernel-snippets', 'annotations');
}

/** Every annotation of every file, by symbol. A symbol annotated twice is an error. */
export function loadAnnotations(dir: string): Map<string, Annotation> {
  const out = new Map<string, Annotation>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.endsWith('.schema.json')) continue;
    const data = JSON.parse(readFileSync(join(dir, name), 'utf8')) as AnnotationFile;
    for (const [symbol, annotation] of Object.entries(data.annotations)) {
      if (out.has(symbol)) throw new Error(`${join(dir, name)}: "${symbol}" is annotated twice`);
      out.set(symbol, annotation);
    }
  }
  return out;
}
