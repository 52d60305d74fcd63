import { benches } from './benches';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const selected = benches.filter((b) => only.length === 0 || only.some((o) => b.name.includes(o)));
  console.log(`npm run bench: ${selected.length} benchmark(s), Node ${process.version}, ratios measured in this run`);
  for (const bench of selected) {
    console.log(`\n== ${bench.name}`);
    const result = await bench.run();
    for (const line of result.lines) console.log(`  ${line}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
