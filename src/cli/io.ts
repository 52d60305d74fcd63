/** What a CLI command may touch: its arguments, the environment and the two output streams. */
export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Progress is printed only when stderr is a terminal (see shared/spec/cli.md). */
  readonly stderrIsTTY: boolean;
  readonly cwd: string;
  /** Aborted on SIGINT so that long uploads and polls stop cleanly. */
  readonly signal: AbortSignal;
}

/** Exit codes of the contract in shared/spec/cli.md. */
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
