import { UsageError } from './io';

export interface ParsedArgs {
  positionals: string[];
  /** Flags given as `--name value` or `--name=value`; repeated flags keep the last value. */
  values: Map<string, string>;
  /** Flags given without a value, such as `--json`. */
  switches: Set<string>;
}

/**
 * Parses argv against the flags a command accepts. Unknown flags are usage errors rather than
 * being ignored, so a typo such as `--clinet` never sends a request to the wrong place.
 */
export function parseArgs(argv: string[], spec: { values?: string[]; switches?: string[] }): ParsedArgs {
  const valueFlags = new Set(spec.values ?? []);
  const switchFlags = new Set(spec.switches ?? []);
  const parsed: ParsedArgs = { positionals: [], values: new Map(), switches: new Set() };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith('--') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).slice(2);
    if (valueFlags.has(name)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.values.set(name, value);
    } else if (switchFlags.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      parsed.switches.add(name);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return parsed;
}
