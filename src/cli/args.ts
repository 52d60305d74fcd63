import { parseArgs as parseNodeArgs } from 'util';
import { UsageError } from './io';

/** The flags one command accepts, in the shape of `util.parseArgs`'s options. */
export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>;

type ValueOf<O extends OptionSpec[string]> = O['type'] extends 'string'
  ? O['multiple'] extends true
    ? string[]
    : string
  : O['multiple'] extends true
    ? boolean[]
    : boolean;

export interface ParsedArgs<O extends OptionSpec> {
  positionals: string[];
  /** The flags given; a flag given twice keeps its last value unless the spec says `multiple`. */
  values: { [K in keyof O]?: ValueOf<O[K]> };
}

/**
 * Parses a command's argv with `util.parseArgs` in strict mode: unknown flags are usage errors rather
 * than being ignored, so a typo such as `--clinet` never sends a request to the wrong place. `--name value`
 * and `--name=value` both work; everything after `--` is positional.
 */
export function parseArgs<O extends OptionSpec>(argv: string[], options: O): ParsedArgs<O> {
  try {
    const parsed = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: true });
    // A plain object (Node's has no prototype), so that it compares and prints like any other.
    return { positionals: parsed.positionals, values: { ...parsed.values } as ParsedArgs<O>['values'] };
  } catch (error) {
    throw new UsageError(usageProblem(argv, options) ?? (error instanceof Error ? error.message : String(error)));
  }
}

/**
 * Names the first argument strict parsing refused, in the CLI's own words. Node's messages are long and
 * change between versions; the tokens of a lenient parse say which flag was wrong and how.
 */
function usageProblem(argv: string[], options: OptionSpec): string | undefined {
  const { tokens } = parseNodeArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.prototype.hasOwnProperty.call(options, token.name) ? options[token.name] : undefined;
    if (!spec) return `unknown option ${token.rawName}`;
    if (spec.type === 'boolean' && token.inlineValue) return `${token.rawName} takes no value`;
    if (spec.type !== 'string') continue;
    if (token.value === undefined) return `${token.rawName} needs a value`;
    // Strict parsing takes `--client --json` for a forgotten value rather than a client named "--json".
    if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')) {
      return `${token.rawName} needs a value (for a value that starts with '-', write ${token.rawName}=VALUE)`;
    }
  }
  return undefined;
}
