import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{ ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'data/'] },
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			// TypeScript checks undefined names better than ESLint (svelte-check runs it).
			'no-undef': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
			]
		}
	},
	{
		// The PWA talks to the server only through the API contract (src/lib/shared/api): no file
		// under src/ imports server code, not even types. (The shared kernel's block below repeats
		// the pattern, since a later block's options replace these for its files.)
		files: ['src/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/server/**', '**/server'],
							message:
								'The client imports no server code: use the API contract in src/lib/shared/api.'
						}
					]
				}
			]
		}
	},
	{
		// The shared kernel (program core, wire protocol, API contract) is used by the PWA and the
		// server alike, so it may import neither: no UI, no SvelteKit, no Node, no server code.
		files: ['src/lib/shared/**'],
		ignores: ['src/lib/shared/**/*.test.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/server/**', '**/routes/**', '$app/*', '$env/*', 'svelte', 'svelte/*'],
							message: 'The shared kernel imports no UI, SvelteKit or server code.'
						},
						{
							group: ['$lib/*', '!$lib/shared', '!$lib/shared/**'],
							message:
								'The shared kernel imports only itself (use a relative import inside src/lib/shared).'
						},
						{
							group: [
								'**/workspace/**',
								'**/curator/**',
								'**/device/**',
								'**/ui/**',
								'**/sync/**',
								'*.svelte'
							],
							message: 'The shared kernel imports no client modules.'
						},
						{
							group: ['node:*', 'fs', 'path', 'ws', 'fastify', 'better-sqlite3', 'pg', 'ioredis'],
							message: 'The shared kernel runs in the browser too: no Node or server packages.'
						}
					]
				}
			]
		}
	},
	{
		// Configuration is read once, by the entry points, through the schema in server/config.ts;
		// modules receive values from it.
		files: ['server/**/*.ts'],
		ignores: ['server/main.ts', 'server/cli/**', 'server/**/*.test.ts'],
		rules: {
			'no-restricted-properties': [
				'error',
				{
					object: 'process',
					property: 'env',
					message: 'Read configuration through server/config.ts (loadConfig), not process.env.'
				}
			]
		}
	},
	{
		// Server layers point one way: storage knows nothing of the modules built on it, and
		// identity (records, access, policy) nothing of programs, the curator or HTTP.
		files: ['server/storage/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: [
								'**/identity/**',
								'**/auth/**',
								'**/curator/**',
								'**/programs/**',
								'**/http/**',
								'**/sync/**',
								'**/cluster/**'
							],
							message:
								'Storage imports nothing of the modules built on it (wire them in server/app.ts).'
						}
					]
				}
			]
		}
	},
	{
		files: ['server/identity/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/programs/**', '**/curator/**', '**/http/**'],
							message:
								'Identity imports nothing of programs, the curator or HTTP (they build on it).'
						}
					]
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
