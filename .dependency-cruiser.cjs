// Which way imports may go (docs/architecture.md draws it). `npm run lint` runs this; any
// violation fails lint. Type-only imports count: a cycle through types still ties two rooms together.
// `vscode` resolves to its type declarations (the editor provides the module at run time).
const EDITOR = '^(vscode$|node_modules/@types/vscode/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle is a type or function in the wrong room: move it to the module both sides need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-editor-free',
      severity: 'error',
      comment: 'src/core runs in plain Node and in the CLI: no vscode, no editor services, no features.',
      from: { path: '^src/core/' },
      to: { path: [EDITOR, '^src/(features|services|extension|cli|emulator)(/|\\.ts$)'] },
    },
    {
      name: 'emulator-is-standalone',
      severity: 'error',
      comment: 'The emulator is a Target look-alike: it may use the core, never the editor or the CLI.',
      from: { path: '^src/emulator/' },
      to: { path: [EDITOR, '^src/(features|services|extension|cli)(/|\\.ts$)'] },
    },
    {
      name: 'services-do-not-know-features',
      severity: 'error',
      comment: 'Features depend on services, never the other way round.',
      from: { path: '^src/services/' },
      to: { path: '^src/features/' },
    },
    {
      name: 'features-do-not-import-each-other',
      severity: 'error',
      comment: 'What two features share belongs in src/services/.',
      from: { path: '^src/features/([^/]+)/' },
      to: { path: '^src/features/([^/]+)/', pathNot: '^src/features/$1/' },
    },
    {
      name: 'cli-is-editor-free',
      severity: 'error',
      from: { path: '^src/cli' },
      to: { path: [EDITOR, '^src/(features|services|extension)(/|\\.ts$)'] },
    },
    {
      name: 'src-does-not-import-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.vscode-test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
