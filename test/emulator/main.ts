/**
 * The emulator as a process: `node dist/test/emulator/main.js --port N [--token T] [--seed file.json]
 * [--status-delay MS]`. Prints its URL on the first line of stdout, then serves until interrupted.
 */
import * as fs from 'fs';
import { SeedProfile, startEmulator } from './server';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seedFile = option(args, 'seed');
  let seed: SeedProfile[] = [];
  if (seedFile) {
    // Either a list of profiles or `{ "profiles": [...] }`, the shape /__emulator/profiles exports.
    const parsed = JSON.parse(fs.readFileSync(seedFile, 'utf8')) as SeedProfile[] | { profiles: SeedProfile[] };
    seed = Array.isArray(parsed) ? parsed : parsed.profiles;
  }
  const emulator = await startEmulator({
    port: Number(option(args, 'port') ?? 0),
    token: option(args, 'token'),
    seed,
    statusDelayMs: Number(option(args, 'status-delay') ?? 0),
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
