// Flat config: typescript-eslint's recommended rules, plus the project's one architectural rule:
// nothing under src/core may import the editor, so the core stays testable in plain Node and
// shared with the command line.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'bench-data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-throw-literal': 'error',
      curly: ['error', 'multi-line'],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core is editor-free: move the VS Code part into src/features.' }] },
      ],
    },
  },
  {
    // The batch row kernel is AssemblyScript: its integer literals are exact 64-bit integers.
    files: ['src/core/batch/kernel/**/*.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    files: ['esbuild.js', 'scripts/**/*.js', '*.cjs', 'test/fixtures/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        Buffer: 'readonly',
        WebAssembly: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
