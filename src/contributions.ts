/**
 * Every command id, view id and setting the extension contributes, in one typed module so that
 * package.json and the code cannot drift apart (test/unit/contributions.test.ts checks the commands
 * both ways).
 */
export const Commands = {
  showOutput: 'targetProfiles.showOutput',
  validateBatchFile: 'targetProfiles.validateBatchFile',
  showAllBatchProblems: 'targetProfiles.showAllBatchProblems',
  addConnection: 'targetProfiles.addConnection',
  editConnection: 'targetProfiles.editConnection',
  removeConnection: 'targetProfiles.removeConnection',
  switchConnection: 'targetProfiles.switchConnection',
  setConnectionToken: 'targetProfiles.setConnectionToken',
  updateProfile: 'targetProfiles.updateProfile',
  fetchProfile: 'targetProfiles.fetchProfile',
  refreshProfile: 'targetProfiles.refreshProfile',
  verifyUpdate: 'targetProfiles.verifyUpdate',
  copyAsCurl: 'targetProfiles.copyAsCurl',
  clearHistory: 'targetProfiles.clearHistory',
  refreshTree: 'targetProfiles.refreshTree',
  startEmulator: 'targetProfiles.startEmulator',
  cancelRequests: 'targetProfiles.cancelRequests',
  submitBatch: 'targetProfiles.submitBatch',
  refreshBatchStatus: 'targetProfiles.refreshBatchStatus',
  showBatchDetails: 'targetProfiles.showBatchDetails',
  openBatchSource: 'targetProfiles.openBatchSource',
  copyBatchStatusUrl: 'targetProfiles.copyBatchStatusUrl',
  removeBatch: 'targetProfiles.removeBatch',
  rotateProfileToken: 'targetProfiles.rotateProfileToken',
  checkAuthentication: 'targetProfiles.checkAuthentication',
  runScenario: 'targetProfiles.runScenario',
  runScenarioStep: 'targetProfiles.runScenarioStep',
  previewPersonalization: 'targetProfiles.previewPersonalization',
  setPropertyToken: 'targetProfiles.setPropertyToken',
  setTraceToken: 'targetProfiles.setTraceToken',
} as const;

export const Views = {
  connections: 'targetProfiles.connections',
} as const;

/** The language id of batch files (package.json `contributes.languages`). */
export const BATCH_LANGUAGE_ID = 'target-batch';

/** The code-action kind of "fix all" for batch files (`editor.codeActionsOnSave` can name it). */
export const FIX_ALL_KIND = 'source.fixAll.targetBatch';

/** Settings the features read, as `targetProfiles.<key>`. */
export const Settings = {
  batchFilePatterns: 'batch.filePatterns',
  batchMaxDiagnostics: 'batch.maxDiagnostics',
  batchValidationDelay: 'batch.validationDelay',
} as const;
export const SETTINGS_SECTION = 'targetProfiles';

/** The one log channel's name, shown in the Output panel's picker. */
export const OUTPUT_CHANNEL_NAME = 'Target Profiles';
