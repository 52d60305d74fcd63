// Builds the extension, the command line and (with --tests) the test bundles.
// Modelled on the official esbuild sample: one context per bundle, minified for production,
// sourcemaps in development, a problem-matcher friendly log in watch mode.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests') || watch;

/** Lets the `$esbuild-watch` problem matcher in tasks.json find the start and end of a rebuild. */
const problemMatcher = {
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

function filesUnder(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(full, suffix));
    else if (entry.name.endsWith(suffix)) found.push(full);
  }
  return found;
}

/**
 * undici's HTTP/1 parser ships as WebAssembly twice: with SIMD, and a fallback for engines without
 * it. Node 20, the oldest runtime here, always has WebAssembly SIMD, so the 70 KB fallback is left
 * out of the bundle; should it ever be needed, the stub fails with a clear message.
 */
const withoutLlhttpFallback = {
  name: 'without-llhttp-fallback',
  setup(build) {
    build.onResolve({ filter: /llhttp[\\/]llhttp-wasm\.js$|^\.\.\/llhttp\/llhttp-wasm\.js$/ }, (args) => ({
      path: args.path,
      namespace: 'llhttp-fallback',
    }));
    build.onLoad({ filter: /.*/, namespace: 'llhttp-fallback' }, () => ({
      contents: "throw new Error('This JavaScript engine lacks WebAssembly SIMD, which the HTTP parser needs.')",
      loader: 'js',
    }));
  },
};

/**
 * Every module that writes `import * as vscode from 'vscode'` got its own copy of the whole API
 * object from esbuild's CommonJS interop (a property-by-property copy of hundreds of getters), and
 * those copies were a third of the bundle's load time. Routed through one ES module that re-exports
 * `vscode`, the copy is made once and every feature shares it.
 */
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once'
        ? { path: 'vscode', external: true }
        : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({
      contents: "export * from 'vscode';",
      loader: 'js',
    }));
  },
};

/**
 * In the extension's bundle, undici stays out: src/core/target/undiciParts.ts is built on its own as
 * dist/undici.js and required from there on the first request, so activation does not compile it.
 */
const undiciApart = {
  name: 'undici-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/undiciParts$/ }, () => ({ path: './undici.js', external: true }));
  },
};

/**
 * jsonc-parser's `main` is a UMD build whose inner requires esbuild cannot follow: its ES module build is
 * bundled instead, also where other packages stay external (plain Node cannot require that build).
 */
const jsoncAsModule = {
  name: 'jsonc-as-module',
  setup(build) {
    build.onResolve({ filter: /^jsonc-parser$/ }, () => ({ path: require.resolve('jsonc-parser/lib/esm/main.js') }));
  },
};

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  plugins: watch ? [problemMatcher, jsoncAsModule] : [jsoncAsModule],
};

const configs = [
  // The extension: everything but `vscode` is bundled, so the VSIX needs no node_modules.
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    // Lets activation time (logged at activation, read by `npm run bench`) include loading the bundle.
    banner: { js: 'var __targetProfilesLoadStart = performance.now();' },
    plugins: [...common.plugins, withoutLlhttpFallback, vscodeOnce, undiciApart],
  },
  {
    ...common,
    entryPoints: ['src/core/target/undiciParts.ts'],
    outfile: 'dist/undici.js',
    plugins: [...common.plugins, withoutLlhttpFallback],
  },
  // The batch engine's worker thread (src/core/batch/worker.ts), started by the extension and the CLI.
  { ...common, entryPoints: ['src/core/batch/worker.ts'], outfile: 'dist/batchWorker.js' },
  // The local emulator, loaded by "Start Local Emulator" on demand (src/features/emulator).
  { ...common, entryPoints: ['src/emulator/server.ts'], outfile: 'dist/emulator.js' },
  // `npm run emulator`: the emulator as a process of its own (not shipped in the VSIX).
  { ...common, entryPoints: ['src/emulator/main.ts'], outfile: 'dist/emulator-main.js' },
  {
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [...common.plugins, withoutLlhttpFallback],
  },
];

if (tests) {
  const testCommon = { ...common, minify: false, sourcemap: true };
  configs.push(
    // Unit tests of src/core in plain Node: packages stay external and load from node_modules.
    {
      ...testCommon,
      entryPoints: filesUnder('test/unit', '.test.ts'),
      outdir: 'dist/test/unit',
      outbase: 'test/unit',
      packages: 'external',
    },
    // The integration suite runs inside the VS Code extension host (code-server or desktop).
    {
      ...testCommon,
      entryPoints: ['test/integration/suite/index.ts', ...filesUnder('test/integration/suite', '.test.ts')],
      outdir: 'dist/test/suite',
      outbase: 'test/integration/suite',
      external: ['vscode', 'mocha'],
    },
    // Browser-level tests: Playwright drives the code-server page as a person would.
    {
      ...testCommon,
      entryPoints: filesUnder('test/browser', '.test.ts'),
      outdir: 'dist/test/browser',
      outbase: 'test/browser',
      packages: 'external',
    },
    // Node scripts: the test-host drivers, the emulator, the benchmarks and `npm start`.
    {
      ...testCommon,
      entryPoints: [
        ...['test/integration/run-code-server.ts', 'test/integration/run-desktop.ts', 'test/start.ts'].filter((f) =>
          fs.existsSync(f),
        ),
        ...filesUnder('test/bench', 'index.ts'),
      ],
      outdir: 'dist/test',
      outbase: 'test',
      packages: 'external',
    },
  );
}

async function main() {
  const contexts = await Promise.all(
    configs.filter((c) => (c.entryPoints ?? []).length > 0).map((c) => esbuild.context(c)),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  // The CLI runs as `./dist/cli.js` too, so it must be executable.
  fs.chmodSync('dist/cli.js', 0o755);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
