import * as assert from 'assert';
import * as os from 'os';
import { main } from '../../../src/cli';
import { parseArgs } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/io';
import { recordingIO } from '../../support/cliIO';

const OPTIONS = {
  client: { type: 'string' },
  'pc-id': { type: 'string' },
  json: { type: 'boolean' },
  format: { type: 'string', multiple: true },
} as const;

function usageError(argv: string[]): string {
  try {
    parseArgs(argv, OPTIONS);
  } catch (error) {
    assert.ok(error instanceof UsageError, `${argv.join(' ')}: ${String(error)}`);
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

describe('command line: argument parsing', () => {
  it('accepts --name value, --name=value, switches and positionals in any order', () => {
    assert.deepStrictEqual(parseArgs(['a=1', '--client', 'acme', '--json', '--pc-id=p=1', 'b=2'], OPTIONS), {
      positionals: ['a=1', 'b=2'],
      values: { client: 'acme', json: true, 'pc-id': 'p=1' },
    });
  });

  it('keeps the last value of a repeated flag, every value of a multiple one, and an empty --name=', () => {
    const parsed = parseArgs(['--client', 'a', '--client=b', '--format', 'x', '--format=y', '--pc-id='], OPTIONS);
    assert.deepStrictEqual(parsed.values, { client: 'b', format: ['x', 'y'], 'pc-id': '' });
  });

  it('takes everything after -- and a lone - as positionals', () => {
    assert.deepStrictEqual(parseArgs(['-', '--', '--json', '--client'], OPTIONS), {
      positionals: ['-', '--json', '--client'],
      values: {},
    });
  });

  it('refuses unknown flags, missing values and values given to switches, naming the flag', () => {
    assert.strictEqual(usageError(['x', '--clinet', 'acme']), 'unknown option --clinet');
    assert.strictEqual(usageError(['--clinet=acme']), 'unknown option --clinet');
    assert.strictEqual(usageError(['-x']), 'unknown option -x');
    assert.strictEqual(usageError(['--client']), '--client needs a value');
    assert.strictEqual(
      usageError(['--client', '--json']),
      "--client needs a value (for a value that starts with '-', write --client=VALUE)",
    );
    assert.strictEqual(usageError(['--json=yes']), '--json takes no value');
    // The first problem in argv order is the one reported.
    assert.strictEqual(usageError(['--json=1', '--nope']), '--json takes no value');
  });

  it('accepts a value that starts with - when written --name=-value', () => {
    assert.strictEqual(parseArgs(['--pc-id=-abc'], OPTIONS).values['pc-id'], '-abc');
  });
});

describe('command line: usage errors of every command (exit 2, the message, then the usage line)', () => {
  const cases: { args: string[]; message: RegExp }[] = [
    { args: ['validate', '--fix', 'x.batch'], message: /unknown option --fix/ },
    { args: ['validate', 'x.batch', '--json=1'], message: /--json takes no value/ },
    { args: ['validate', 'x.batch', '--format'], message: /--format needs a value/ },
    { args: ['update', '--client'], message: /--client needs a value/ },
    { args: ['update', '--client', 'ACME', '--pc-id', 'p', 'a=1'], message: /client code/i },
    { args: ['update', '--client', 'acme', '--pc-id', 'p', 'novalue'], message: /'novalue' is not NAME=VALUE/ },
    { args: ['update', '--client', 'acme', '--ecid', 'e', 'a=1'], message: /unknown option --ecid/ },
    { args: ['fetch', '--client', 'acme', '--pc-id', 'p', 'extra'], message: /unexpected argument 'extra'/ },
    { args: ['fetch', '--client', 'acme'], message: /give exactly one of --pc-id, --third-party-id or --ecid/ },
    { args: ['submit', 'x.batch', '--client', 'acme', '--api', 'v3'], message: /--api must be v1 or v2/ },
    { args: ['submit', 'x.batch', '--client', 'acme', '--details'], message: /unknown option --details/ },
    { args: ['status', 'https://acme.tt.omtrdc.net/m2/acme/x', '--wait'], message: /unknown option --wait/ },
    { args: ['scenario', 'x.targetprofile.json', '--client', 'acme', '--api', 'v1'], message: /unknown option --api/ },
  ];
  for (const { args, message } of cases) {
    it(args.join(' '), async () => {
      const io = recordingIO({ cwd: os.tmpdir() });
      assert.strictEqual(await main(args, io), 2, io.err);
      assert.match(io.err, message);
      assert.strictEqual(io.out, '');
    });
  }

  it('prints the usage line after a flag problem', async () => {
    const io = recordingIO({ cwd: os.tmpdir() });
    assert.strictEqual(await main(['fetch', '--clinet', 'acme'], io), 2);
    assert.strictEqual(
      io.err,
      'target-profiles fetch: unknown option --clinet\nUsage: target-profiles fetch --client CODE (--pc-id ID | --third-party-id ID | --ecid ID) [--base-url URL] [--json]\n',
    );
  });
});
