/**
 * The emulator as a process: `node dist/emulator-main.js [--port N] [--token T] [--seed file.json]
 * [--empty] [--status-delay MS]`. Serves the sample profiles unless `--empty` or `--seed` says
 * otherwise, prints its URL on the first line of stdout, then serves until interrupted.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { sampleProfiles } from './samples';
import { type SeedProfile, startEmulator } from './server';

function seedFrom(file: string): SeedProfile[] {
  // Either a list of profiles or `{ "profiles": [...] }`, the shape /__emulator/profiles exports.
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as SeedProfile[] | { profiles: SeedProfile[] };
  return Array.isArray(parsed) ? parsed : parsed.profiles;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      seed: { type: 'string' },
      empty: { type: 'boolean', default: false },
      'status-delay': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const seed = values.seed ? seedFrom(values.seed) : values.empty ? [] : sampleProfiles;
  const emulator = await startEmulator({
    port: Number(values.port),
    token: values.token,
    seed,
    statusDelayMs: Number(values['status-delay']),
  });
  console.log(emulator.url);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
