/** The server's Node flags are the same wherever the product says how to start it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './node-flags.js';

const flags = SERVER_NODE_FLAGS.join(' ');

describe('server Node flags', () => {
	it('npm start and npm run serve run the bundle with them', () => {
		const scripts = (
			JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
		).scripts;
		for (const name of ['start', 'serve'])
			expect(scripts[name]).toContain(`node ${flags} build/server/main.js`);
	});

	it('the deploy guide starts the server with them, everywhere it starts it', () => {
		const guide = readFileSync('docs/deploy.md', 'utf8');
		const starts = guide.match(/node (?:--[\w-]+=?\S* )*build\/server\/main\.js/g) ?? [];
		expect(starts.length).toBeGreaterThan(0);
		for (const start of starts) expect(start).toBe(`node ${flags} build/server/main.js`);
	});
});
