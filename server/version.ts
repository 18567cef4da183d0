import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product version from package.json (found from both `server/` and the bundled `build/server/`). */
export function readVersion(): string {
	const here = path.dirname(fileURLToPath(import.meta.url));
	for (const candidate of ['../package.json', '../../package.json']) {
		try {
			const pkg = JSON.parse(readFileSync(path.join(here, candidate), 'utf8')) as {
				name?: string;
				version?: string;
			};
			if (pkg.name === 'nastavnik' && pkg.version) return pkg.version;
		} catch {
			// try the next location
		}
	}
	return '0.0.0';
}
