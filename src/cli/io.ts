/** What a CLI command may touch: its arguments, the environment and the two output streams. */
export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Progress is printed only when stderr is a terminal (see README.md, 'Command line'). */
  readonly stderrIsTTY: boolean;
  readonly cwd: string;
  /** Aborted on SIGINT so that long uploads and polls stop cleanly. */
  readonly signal: AbortSignal;
}

/**
 * A writer for one of this process's output streams. When the reader goes away (`... | head`), the
 * pipe's next write fails with EPIPE: output then stops quietly, without Node's unhandled-error stack,
 * and the command still ends with its own exit code. Any other write failure stops output the same way,
 * after one line on `report` (stderr) saying why, when that still works.
 */
function streamWriter(stream: NodeJS.WritableStream, report?: (text: string) => void): (text: string) => void {
  let open = true;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (!open) return;
    open = false;
    if (error.code !== 'EPIPE') report?.(`target-profiles: cannot write the output: ${error.message}\n`);
  });
  return (text) => {
    if (open) stream.write(text);
  };
}

/** The CliIO of this process: its environment, working directory and the two output streams. */
export function processIO(signal: AbortSignal): CliIO {
  const stderr = streamWriter(process.stderr);
  return {
    env: process.env,
    stdout: streamWriter(process.stdout, stderr),
    stderr,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    signal,
  };
}

/** Exit codes of the command line (README.md, 'Command line'). */
export const ExitCode = {
  ok: 0,
  inputErrors: 1,
  usage: 2,
  network: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage problem: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {}

export type CliCommand = (argv: string[], io: CliIO) => Promise<number>;

/** The environment variables whose values are secrets: never printed, even when a server echoes them back. */
const SECRET_ENV = ['TARGET_PROFILE_TOKEN', 'TARGET_CLIENT_SECRET'] as const;

/**
 * The same IO with every secret of the environment replaced by `***` in what is printed. Commands
 * that print what the server returned as is (a fetched profile, the values a scenario read back)
 * use it, so that a server echoing the Authorization header cannot put the token in a CI log.
 */
export function secretSafeIO(io: CliIO): CliIO {
  const secrets = SECRET_ENV.map((name) => io.env[name]).filter(
    (s): s is string => typeof s === 'string' && s.length >= 4,
  );
  if (secrets.length === 0) return io;
  const forms = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]))];
  const scrub = (text: string) => forms.reduce((out, form) => out.split(form).join('***'), text);
  return { ...io, stdout: (t) => io.stdout(scrub(t)), stderr: (t) => io.stderr(scrub(t)) };
}
