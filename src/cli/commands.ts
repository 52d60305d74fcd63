import type { CliCommand } from './io';

/**
 * The commands of shared/spec/cli.md. Each lives in its own module under src/cli/ and is built on
 * src/core; this table is the only place the dispatcher learns about them.
 */
export const commands: Record<string, { summary: string; usage: string; run: CliCommand }> = {};
