// Builds the extension, the command line and (with --tests) the test bundles.
// Modelled on the official esbuild sample: one context per bundle, minified for production,
// sourcemaps in development, a problem-matcher friendly log in watch mode.
const crypto = require('crypto');
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

/**
 * The batch row kernel: AssemblyScript in src/core/batch/kernel/, compiled by asc into two
 * WebAssembly modules, one importing a plain memory and one a shared memory (the worker's instance
 * shares it), written to dist/kernel/ with the text of the first (kernel.wat, to read what the
 * optimizer made). Any error or warning from asc fails the build, and so does a module that does
 * not instantiate here, imports anything but its memory, or has data or a start function (either
 * would write to the memory the threads share whenever an instance is made). Compiled again only
 * when its sources, asc or the flags change (dist/kernel/stamp.json).
 */
const KERNEL_SOURCE = 'src/core/batch/kernel';
const KERNEL_OUT = 'dist/kernel';
const KERNEL_FLAGS = [
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--noExportMemory',
  '--maximumMemory',
  '65536',
  '--enable',
  'simd,threads',
];
const KERNEL_VARIANTS = { 'kernel.wasm': [], 'kernel.shared.wasm': ['--sharedMemory'] };

/** The last kernel build of this process, by the key of its inputs. */
let kernelBuild;

/** The kernel's modules by file name (see KERNEL_VARIANTS) and the sources they were compiled from. */
function compileKernel() {
  const sources = fs
    .readdirSync(KERNEL_SOURCE)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => path.resolve(KERNEL_SOURCE, f));
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify([require('assemblyscript/package.json').version, KERNEL_FLAGS, KERNEL_VARIANTS]));
  for (const file of sources) hash.update(`\0${path.basename(file)}\0`).update(fs.readFileSync(file));
  const key = hash.digest('hex');
  if (kernelBuild?.key !== key) kernelBuild = { key, promise: buildKernel(key, sources) };
  return kernelBuild.promise;
}

async function buildKernel(key, sources) {
  const stamp = path.join(KERNEL_OUT, 'stamp.json');
  const files = Object.keys(KERNEL_VARIANTS).map((name) => path.join(KERNEL_OUT, name));
  const modules = {};
  const upToDate =
    fs.existsSync(stamp) && JSON.parse(fs.readFileSync(stamp, 'utf8')).key === key && files.every(fs.existsSync);
  if (upToDate) {
    for (const name of Object.keys(KERNEL_VARIANTS)) modules[name] = fs.readFileSync(path.join(KERNEL_OUT, name));
  } else {
    const asc = await import('assemblyscript/asc');
    fs.mkdirSync(KERNEL_OUT, { recursive: true });
    fs.rmSync(stamp, { force: true });
    for (const [name, extra] of Object.entries(KERNEL_VARIANTS)) {
      const outputs = {};
      const stderr = asc.createMemoryStream();
      const text = name === 'kernel.wasm' ? ['--textFile', 'kernel.wat'] : [];
      const result = await asc.main(
        [path.join(KERNEL_SOURCE, 'kernel.ts'), '--outFile', name, ...text, ...KERNEL_FLAGS, ...extra],
        {
          stdout: asc.createMemoryStream(),
          stderr,
          writeFile: (file, contents) => (outputs[path.basename(file)] = contents),
        },
      );
      const messages = stderr.toString().trim();
      if (result.error || messages !== '' || !(outputs[name] instanceof Uint8Array)) {
        throw new Error(
          `asc could not compile the row kernel (${name}): ${result.error?.message ?? 'it warned'}\n${messages}`,
        );
      }
      checkKernel(name, outputs[name], extra.includes('--sharedMemory'));
      for (const [file, contents] of Object.entries(outputs)) fs.writeFileSync(path.join(KERNEL_OUT, file), contents);
      modules[name] = Buffer.from(outputs[name]);
    }
    fs.writeFileSync(stamp, JSON.stringify({ key }) + '\n');
  }
  return { modules, sources };
}

/** Throws unless the module instantiates over a memory alone and has no data and no start function. */
function checkKernel(name, bytes, shared) {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (imports.join() !== 'env.memory (memory)') {
    throw new Error(`the row kernel (${name}) must import env.memory alone, not ${imports.join(', ')}`);
  }
  // Sections: the id byte, then the size (LEB128). 8 is the start function, 11 data, 12 data count.
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    if (id === 8 || id === 11 || id === 12) {
      throw new Error(
        `the row kernel (${name}) has ${id === 8 ? 'a start function' : 'data'}: it must not write its memory when instantiated`,
      );
    }
    at += size;
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared });
  new WebAssembly.Instance(module, { env: { memory } });
}

/**
 * Resolves the kernel's modules, `import bytes from './kernel/kernel.wasm'` (and kernel.shared.wasm),
 * to their bytes, compiled (see compileKernel) and embedded by esbuild's binary loader; in watch
 * mode, a change to the kernel's sources rebuilds.
 */
const rowKernel = {
  name: 'row-kernel',
  setup(build) {
    build.onResolve({ filter: /[\\/]kernel[\\/]kernel(\.shared)?\.wasm$/ }, (args) => ({
      path: path.basename(args.path),
      namespace: 'row-kernel',
    }));
    build.onLoad({ filter: /.*/, namespace: 'row-kernel' }, async (args) => {
      try {
        const { modules, sources } = await compileKernel();
        return { contents: modules[args.path], loader: 'binary', watchFiles: sources };
      } catch (error) {
        return {
          errors: [{ text: error.message }],
          watchFiles: fs.readdirSync(KERNEL_SOURCE).map((f) => path.resolve(KERNEL_SOURCE, f)),
        };
      }
    });
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
  plugins: watch ? [problemMatcher, jsoncAsModule, rowKernel] : [jsoncAsModule, rowKernel],
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
  // The batch engine's worker threads (src/core/batch/worker.ts; workerScript.ts finds it from any bundle).
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
  // The kernel first, so that an error in it stops the build before any bundle is written.
  if (!watch) await compileKernel();
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
