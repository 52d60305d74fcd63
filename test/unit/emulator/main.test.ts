import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SAMPLE_CLIENT_CODE, sampleProfiles } from '../../../src/emulator/samples';
import { repoRoot } from '../../support/repoRoot';

/** `npm run emulator` runs this bundle, which `node esbuild.js --tests` writes next to the tests. */
const MAIN = path.join(repoRoot, 'dist', 'emulator-main.js');

interface Running {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

/** Starts the emulator process and waits for the URL it prints on its first line. */
function run(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const newline = out.indexOf('\n');
      if (newline === -1) return;
      resolve({
        child,
        url: out.slice(0, newline),
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code} before printing its URL: ${err}`)));
  });
}

/** Runs the emulator with arguments it should refuse: its exit code and what it wrote to stderr. */
function refused(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr, stdout })));
}

function fetchSample(url: string, thirdPartyId: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}/rest/v1/profiles/thirdPartyId/${thirdPartyId}?client=${SAMPLE_CLIENT_CODE}`, init);
}

describe('emulator: the process `npm run emulator` starts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-emu-main-'));
  const running: Running[] = [];
  async function start(args: string[]): Promise<Running> {
    const r = await run(args);
    running.push(r);
    return r;
  }
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves the sample profiles by default, prints its URL first, and exits 0 on SIGTERM', async () => {
    const emulator = await run(['--port', '0']);
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const sample = sampleProfiles.find((p) => p.thirdPartyId !== undefined)!;
    const res = await fetchSample(emulator.url, sample.thirdPartyId!);
    assert.strictEqual(res.status, 200);
    const body = (await res.json()) as { client: string; profileAttributes: Record<string, { value: string }> };
    assert.strictEqual(body.client, SAMPLE_CLIENT_CODE);
    for (const [name, value] of Object.entries(sample.attributes ?? {})) {
      assert.strictEqual(body.profileAttributes[name].value, value);
    }
    const all = (await (await fetch(`${emulator.url}/__emulator/profiles`)).json()) as { profiles: unknown[] };
    assert.strictEqual(all.profiles.length, sampleProfiles.length);
    assert.strictEqual(await emulator.stop(), 0);
  });

  it('serves no profiles with --empty', async () => {
    const emulator = await start(['--port', '0', '--empty']);
    const res = await fetchSample(emulator.url, sampleProfiles[0].thirdPartyId!);
    assert.strictEqual(res.status, 404);
    await res.text();
    const all = (await (await fetch(`${emulator.url}/__emulator/profiles`)).json()) as { profiles: unknown[] };
    assert.deepStrictEqual(all.profiles, []);
  });

  it('serves the profiles of --seed (a list, or what /__emulator/profiles exports) instead of the samples', async () => {
    const list = path.join(dir, 'list.json');
    fs.writeFileSync(
      list,
      JSON.stringify([{ clientCode: SAMPLE_CLIENT_CODE, thirdPartyId: 'seeded', attributes: { a: '1' } }]),
    );
    const first = await start(['--port', '0', '--seed', list]);
    assert.strictEqual((await fetchSample(first.url, 'seeded')).status, 200);
    const sample = await fetchSample(first.url, sampleProfiles[0].thirdPartyId!);
    assert.strictEqual(sample.status, 404);
    await sample.text();

    const exported = path.join(dir, 'exported.json');
    fs.writeFileSync(exported, await (await fetch(`${first.url}/__emulator/profiles`)).text());
    const second = await start(['--port', '0', '--seed', exported]);
    const res = await fetchSample(second.url, 'seeded');
    assert.strictEqual(
      ((await res.json()) as { profileAttributes: { a: { value: string } } }).profileAttributes.a.value,
      '1',
    );
  });

  it('requires the --token as a bearer token', async () => {
    const emulator = await start(['--port', '0', '--token', 'local-secret']);
    const id = sampleProfiles[0].thirdPartyId!;
    const without = await fetchSample(emulator.url, id);
    assert.strictEqual(without.status, 401);
    await without.text();
    const withToken = await fetchSample(emulator.url, id, { headers: { authorization: 'Bearer local-secret' } });
    assert.strictEqual(withToken.status, 200);
    await withToken.text();
  });

  it('exits 1 with a message, and prints no URL, for an unknown option or an unreadable seed file', async () => {
    const unknown = await refused(['--nope']);
    assert.strictEqual(unknown.code, 1);
    assert.match(unknown.stderr, /--nope/);
    assert.strictEqual(unknown.stdout, '');
    const missing = await refused(['--seed', path.join(dir, 'missing.json')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /missing\.json/);
    assert.strictEqual(missing.stdout, '');
  });
});
