import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.scratch/**', 'demo-output/**', 'test-results/**', 'test/fixtures/**', '.vscode-test/**', 'out/**', '.bench/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One-way doors (DESIGN.md): the engine is pure, the host never sees vscode.
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'server/ never imports vscode.' }] }],
    },
  },
  {
    // The pages run in a browser: they may take the protocol's types (erased by esbuild), never host code.
    files: ['webviews/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: ['**/server/**', '**/client/**'], allowTypeImports: true, message: 'webviews/ import only types (import type) from server/ and nothing from client/.' }],
      }],
    },
  },
  {
    // The worker side imports the engine, never the host (DESIGN.md): what runs in a worker thread
    // must not pull the LSP connection, the pool or the CLI into the worker bundle. protocol.ts,
    // the shared contract, is allowed for its types only.
    files: ['server/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'server/ never imports vscode.' }],
        patterns: [{ group: ['vscode-languageserver*', 'vscode-jsonrpc*', '**/jobs', '**/jobs/**', '**/handlers', '**/handlers/**', '**/host', '**/host/**', '**/cli', '**/cli/**', '../main', '../../main', '../cli', '../../cli'], message: 'worker/ imports the engine (and protocol types), never the host: jobs/, handlers/, host/, main.ts, cli/.' }],
      }],
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: ['**/protocol'], allowTypeImports: true, message: 'worker/ takes only types from protocol.ts (import type).' }],
      }],
    },
  },
  {
    files: ['server/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'engine/ is pure.' }],
        // Every room of the host (main, protocol, handlers, host, jobs, worker), the CLI, the
        // client and the webviews: each pattern names the folder itself and what is inside it.
        patterns: [{
          group: [
            'vscode-languageserver*', 'vscode-jsonrpc*',
            '**/main', '**/protocol',
            '**/handlers', '**/handlers/**', '**/host', '**/host/**', '**/jobs', '**/jobs/**', '**/worker', '**/worker/**',
            '**/cli', '**/cli/**', '**/client', '**/client/**', '**/webviews', '**/webviews/**',
          ],
          message: 'engine/ imports nothing of the host, the CLI, the client, the webviews or vscode.',
        }],
      }],
    },
  },
);
