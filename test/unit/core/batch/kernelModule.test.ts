import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as layout from '../../../../src/core/batch/kernel/layout';
import { KERNEL_FUNCTIONS, webAssembly } from '../../../../src/core/batch/kernelApi';
import { compiledModule, kernelBytes } from '../../../../src/core/batch/kernelModule';
import { BATCH_WORKER_FILE, batchWorkerScript, findBatchWorker } from '../../../../src/core/batch/workerScript';
import { repoRoot } from '../../../support/repoRoot';

// The kernel as shipped: the module esbuild.js compiled from src/core/batch/kernel/ and embedded
// in this bundle, as in the extension's and the command line's.
describe('the row kernel module (AssemblyScript, compiled by the build)', () => {
  for (const shared of [false, true]) {
    it(`instantiates over a ${shared ? 'shared' : 'plain'} memory and exports every function RowKernel calls`, () => {
      const wasm = webAssembly()!;
      const { module } = compiledModule(shared)!;
      assert.deepStrictEqual(wasm.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
      const memory = new wasm.Memory({ initial: layout.FIXED_PAGES, maximum: 65536, shared });
      const exports = new wasm.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
      for (const [name, parameters] of Object.entries(KERNEL_FUNCTIONS)) {
        assert.strictEqual(typeof exports[name], 'function', `${name} is not exported`);
        assert.strictEqual((exports[name] as (...args: unknown[]) => unknown).length, parameters, name);
      }
      // Making an instance writes nothing: the worker's instance shares this memory.
      assert.ok(new Uint8Array(memory.buffer).every((b) => b === 0));
      // The other variant's memory is refused, as RowKernel relies on choosing the right one.
      const other = new wasm.Memory({ initial: layout.FIXED_PAGES, maximum: 65536, shared: !shared });
      assert.throws(() => new wasm.Instance(module, { env: { memory: other } }));
      assert.ok(kernelBytes(shared).length > 1000);
    });
  }

  it('has the layout the host has: each constant of layout.ts, as asc compiled it, exported as a global', () => {
    const wasm = webAssembly()!;
    const { module } = compiledModule(false)!;
    const memory = new wasm.Memory({ initial: 1, maximum: 65536 });
    const exports = new wasm.Instance(module, { env: { memory } }).exports as Record<string, { value: number }>;
    const constants = Object.entries(layout);
    assert.ok(constants.length > 40);
    for (const [name, value] of constants) {
      assert.ok(Number.isInteger(value) && (value | 0) === value, `${name} = ${value} is not an i32`);
      assert.ok(exports[name] !== undefined, `${name} is not exported by the module`);
      assert.strictEqual(exports[name].value, value, name);
    }
  });
});

describe('the batch worker script', () => {
  it('is found from a bundle under dist/ (here dist/test/unit/core/batch/)', () => {
    assert.strictEqual(batchWorkerScript(), path.join(repoRoot, 'dist', BATCH_WORKER_FILE));
  });

  it('is found from every bundle location: dist/, dist/test/unit/**, dist/test/suite/**, dist/test/bench/; not above dist/', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-worker-'));
    try {
      const dist = path.join(root, 'dist');
      const places = ['', 'test/unit/core/batch', 'test/suite', 'test/bench'].map((p) => path.join(dist, p));
      for (const place of places) fs.mkdirSync(place, { recursive: true });
      // Above dist/ does not count: a stray file there is not this build's worker.
      fs.writeFileSync(path.join(root, BATCH_WORKER_FILE), '');
      for (const place of places) assert.strictEqual(findBatchWorker(place), undefined, place);
      fs.writeFileSync(path.join(dist, BATCH_WORKER_FILE), '');
      for (const place of places) assert.strictEqual(findBatchWorker(place), path.join(dist, BATCH_WORKER_FILE), place);
      // A bundle outside any dist/ looks up to the root.
      assert.strictEqual(findBatchWorker(path.join(root, 'elsewhere')), path.join(root, BATCH_WORKER_FILE));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a role it does not have, and to run on its own', () => {
    const script = batchWorkerScript()!;
    const code = `
      const { Worker } = require('worker_threads');
      const w = new Worker(${JSON.stringify(script)}, { workerData: { role: 'nonsense' } });
      w.on('error', (e) => { console.log('ERROR ' + e.message); });`;
    const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 });
    assert.match(run.stdout, /ERROR batch worker: no role "nonsense"/);
    const alone = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    assert.notStrictEqual(alone.status, 0);
    assert.match(alone.stderr, /runs as a worker thread/);
  });
});
