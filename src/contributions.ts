/**
 * Every command id, view id and context key the extension contributes, in one typed module so that
 * package.json and the code cannot drift apart (test/unit/contributions.test.ts checks both ways).
 */
export const Commands = {
  showOutput: 'targetProfiles.showOutput',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {} as const;

export const ContextKeys = {} as const;

/** The one log channel's name, shown in the Output panel's picker. */
export const OUTPUT_CHANNEL_NAME = 'Target Profiles';
