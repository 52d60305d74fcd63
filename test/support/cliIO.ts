import type { CliIO } from '../../src/cli/io';

/** A CliIO for tests of `main` from src/cli.ts: it records what the command prints. */
export type RecordingIO = CliIO & { out: string; err: string };

export function recordingIO(options: {
  env?: NodeJS.ProcessEnv;
  cwd: string;
  stderrIsTTY?: boolean;
  signal?: AbortSignal;
}): RecordingIO {
  const io: RecordingIO = {
    out: '',
    err: '',
    env: options.env ?? {},
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
    stderrIsTTY: options.stderrIsTTY ?? false,
    cwd: options.cwd,
    signal: options.signal ?? new AbortController().signal,
  };
  return io;
}
