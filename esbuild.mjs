// One build script for every bundle. esbuild does not type-check: `npm run build` runs
// `tsc -b` first, so this never ships code that fails the type check.
//
//   node esbuild.mjs               build everything once
//   node esbuild.mjs --watch       rebuild on change
//   node esbuild.mjs --production  minified, no source maps (used by `npm run package`)
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Reports build results in the format of VS Code's `$esbuild-watch` problem matcher. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/** Every `*.test.ts` below `dir`, recursively. */
function testEntries(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testEntries(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: watch ? [problemMatcherPlugin] : [],
  // web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle lacks: bundle
  // its CommonJS build instead (the one `require` resolves to).
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs' },
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  // Command-line front end over extension/core.
  {
    ...node,
    entryPoints: { cli: 'extension/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  // The VS Code extension (host side); `vscode` is provided by the extension host.
  {
    ...node,
    entryPoints: { client: 'extension/client/extension.ts' },
    outdir: 'dist',
    external: ['vscode'],
  },
  // The language server, started by the client over IPC or standalone with --stdio.
  { ...node, entryPoints: { server: 'extension/server/server.ts' }, outdir: 'dist' },
  // `npm start`: opens the packaged extension in VS Code or code-server.
  { ...node, entryPoints: { start: 'extension/launch/start.ts' }, outdir: 'dist' },
  // The index's text-scan worker thread (extension/core/kernelIndex.ts loads dist/scanWorker.js).
  { ...node, entryPoints: { scanWorker: 'extension/core/scanWorker.ts' }, outdir: 'dist' },
  // The webviews: browser code, one iife bundle and its CSS per page in dist/webview/ (the
  // panels' only localResourceRoot): the call graph and the simulator (webview/simulator/view/).
  {
    entryPoints: {
      callGraph: 'webview/callGraph/main.ts',
      simulator: 'webview/simulator/view/main.ts',
    },
    outdir: 'dist/webview',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    plugins: watch ? [problemMatcherPlugin] : [],
  },
  // Benchmark (not a test): `npm run bench`.
  ...(existsSync('test/bench/bench.ts')
    ? [{ ...node, entryPoints: { bench: 'test/bench/bench.ts' }, outdir: 'dist' }]
    : []),
  // Tests, one bundle per test file, run by `node --test`. Dependencies stay in node_modules.
  {
    ...node,
    entryPoints: testEntries('test').map((file) => ({
      in: file,
      out: relative('.', file).replace(/\.ts$/, ''),
    })),
    outdir: 'dist',
    packages: 'external',
  },
];

/** The tree-sitter runtime and the C grammar are loaded at run time from dist/. */
function copyWasm() {
  mkdirSync('dist', { recursive: true });
  cpSync('node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/web-tree-sitter.wasm');
  cpSync('node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm');
}

copyWasm();
// A test file deleted or renamed must not leave its old bundle behind for `node --test dist/test/`.
rmSync('dist/test', { recursive: true, force: true });
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
