// Lint: typescript-eslint's recommended rules plus the layering rules of docs/ARCHITECTURE.md.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronBan = {
  paths: [
    {
      name: 'electron',
      message: 'engine/shared/cli run under plain Node: never import electron here.',
    },
  ],
  patterns: [{ group: ['electron/*'], message: 'engine/shared/cli never import electron.' }],
};
const noElectron = { 'no-restricted-imports': ['error', electronBan] };

/** The engine's folders depend downwards only: core ← pair, watch ← service (ARCHITECTURE.md). */
const engineLayer = (forbidden) => ({
  'no-restricted-imports': [
    'error',
    {
      ...electronBan,
      patterns: [
        ...electronBan.patterns,
        {
          group: forbidden.map((f) => `**/${f}/*`),
          message: `this layer of the engine must not import ${forbidden.join(', ')} (dependencies point down)`,
        },
        { group: ['**/testing/*'], message: 'electron/testing is for tests only.' },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
  {
    files: ['electron/engine/**', 'electron/shared/**', 'electron/cli/**', 'electron/daemon/**'],
    rules: noElectron,
  },
  { files: ['electron/engine/core/**'], rules: engineLayer(['pair', 'service', 'watch']) },
  { files: ['electron/engine/pair/**'], rules: engineLayer(['service', 'watch']) },
  { files: ['electron/engine/watch/**'], rules: engineLayer(['pair', 'service']) },
  { files: ['electron/engine/**/*.test.ts'], rules: noElectron },
  {
    // The UI runs in a browser (or a sandboxed Electron window): DOM globals, React hook rules,
    // and only the contract and its own client code, never node:, electron or the engine.
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'the renderer runs sandboxed: no electron.' }],
          patterns: [
            {
              group: [
                'node:*',
                '**/electron/engine/**',
                '**/electron/main/**',
                '**/electron/daemon/**',
              ],
              message:
                'the renderer talks only to a SyncClient; import types from electron/shared.',
            },
          ],
        },
      ],
    },
  },
  { files: ['renderer/vite.config.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['e2e/**', 'scripts/**'], languageOptions: { globals: { ...globals.node } } },
  {
    // Raw ipcMain/ipcRenderer only where the bridge is generated from the contract.
    files: ['electron/main/**'],
    ignores: ['electron/main/ipcBridge.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "Identifier[name='ipcMain']",
          message: 'IPC goes through ipcBridge.ts, generated from SYNC_API_METHODS.',
        },
      ],
    },
  },
  {
    files: ['electron/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'electron', '../engine/*'],
              message: 'shared is the contract: types only, no node:, electron or engine imports.',
            },
          ],
        },
      ],
    },
  },
);
