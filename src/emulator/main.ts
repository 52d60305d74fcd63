/**
 * The emulator as a process: `node dist/emulator-main.js [--port N] [--token T] [--seed file.json]
 * [--empty] [--status-delay MS]`. Serves the sample profiles and activities unless `--empty` or `--seed`
 * says otherwise, prints its URL on the first line of stdout, then serves until interrupted.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { sampleActivities, sampleProfiles } from './samples';
import { type ActivitySeed, type SeedProfile, startEmulator } from './server';

function seedFrom(file: string): { profiles: SeedProfile[]; activities: ActivitySeed[] } {
  // Either a list of profiles or `{ "profiles": [...], "activities": [...] }` (the shapes /__emulator/profiles
  // and /__emulator/activities export); a file without activities gets none.
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as
    SeedProfile[] | { profiles?: SeedProfile[]; activities?: ActivitySeed[] };
  if (Array.isArray(parsed)) return { profiles: parsed, activities: [] };
  return { profiles: parsed.profiles ?? [], activities: parsed.activities ?? [] };
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
  const seed = values.seed
    ? seedFrom(values.seed)
    : values.empty
      ? { profiles: [], activities: [] }
      : { profiles: sampleProfiles, activities: sampleActivities };
  const emulator = await startEmulator({
    port: Number(values.port),
    token: values.token,
    seed: seed.profiles,
    activities: seed.activities,
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
