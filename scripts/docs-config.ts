// `npm run docs:config`: rewrites the configuration reference in docs/deploy.md from the schema
// in server/config.ts (server/config.test.ts fails while the two disagree).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../server/config';
import { CONFIG_TABLE_END, CONFIG_TABLE_START } from '../server/config-docs';

const file = new URL('../docs/deploy.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = text.indexOf(CONFIG_TABLE_START);
const end = text.indexOf(CONFIG_TABLE_END);
if (start < 0 || end < start)
	throw new Error(`docs/deploy.md lacks the ${CONFIG_TABLE_START} markers`);
const next =
	text.slice(0, start + CONFIG_TABLE_START.length) +
	'\n\n' +
	configTable() +
	'\n\n' +
	text.slice(end);
writeFileSync(file, next);
execFileSync('npx', ['prettier', '--write', 'docs/deploy.md'], { stdio: 'inherit' });
