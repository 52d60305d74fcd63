import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ActivitySeed } from '../../../src/emulator/activities';
import { repoRoot } from '../../support/repoRoot';

const MAIN = path.join(repoRoot, 'dist', 'emulator-main.js');

/** Starts `npm run emulator`'s bundle, asks its activities through the control API, and stops it. */
async function activitiesOf(args: string[]): Promise<ActivitySeed[]> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
    });
    const res = await fetch(`${url}/__emulator/activities`);
    return ((await res.json()) as { activities: ActivitySeed[] }).activities;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('emulator: the activities `npm run emulator` serves', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-emu-act-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the sample activities of client demo by default, none with --empty', async () => {
    const samples = await activitiesOf([]);
    assert.deepStrictEqual(
      samples.map((s) => [s.clientCode, s.activities.map((a) => a.mboxes[0])]),
      [['demo', ['home-hero', 'offers', 'app-banner']]],
    );
    assert.deepStrictEqual(await activitiesOf(['--empty']), []);
  });

  it('the activities of a --seed file {profiles, activities}', async () => {
    const file = path.join(dir, 'seed.json');
    const seed: ActivitySeed = {
      clientCode: 'acme',
      activities: [
        {
          id: 5,
          name: 'Seeded',
          type: 'ab',
          mboxes: ['m'],
          experiences: [{ id: 0, name: 'A', offer: { id: 1, name: 'O', type: 'html', content: 'x' } }],
        },
      ],
    };
    fs.writeFileSync(file, JSON.stringify({ profiles: [], activities: [seed] }));
    assert.deepStrictEqual(await activitiesOf(['--seed', file]), [seed]);
  });
});
