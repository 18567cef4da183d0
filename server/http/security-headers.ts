/**
 * Security headers on every response (@fastify/helmet): a Content-Security-Policy the built PWA
 * passes, no framing (`frame-ancestors 'none'`, X-Frame-Options), `nosniff`, no referrer.
 *
 * The PWA is prerendered by SvelteKit's static adapter, whose pages start the app with an inline
 * bootstrap script. Rather than allowing inline scripts, the server reads the built HTML once at
 * start and allows exactly those scripts by their SHA-256 hashes; a script injected into a page
 * would not match and is refused. The hashes change with every build, and the server always
 * serves the build it read. The service worker keeps the HTML it cached together with the headers
 * it was served with, so an offline page and its policy stay consistent.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The HTML files of the built client (recursively; `_app` holds only assets). */
function htmlFiles(dir: string): string[] {
	const out: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) {
			if (entry.name !== '_app') out.push(...htmlFiles(full));
		} else if (entry.name.endsWith('.html')) out.push(full);
	}
	return out;
}

/** `'sha256-…'` sources for every inline `<script>` (no `src`) of the given HTML. */
export function inlineScriptHashes(html: string): string[] {
	const hashes: string[] = [];
	for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
		const attributes = m[1] ?? '';
		const body = m[2] ?? '';
		if (/\ssrc\s*=/i.test(attributes) || body.length === 0) continue;
		// JSON data blocks are not executed and need no hash.
		if (/type\s*=\s*["']?application\/(ld\+)?json/i.test(attributes)) continue;
		hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
	}
	return hashes;
}

/** The hashes of all inline scripts of the built client (empty when it is not built). */
export function clientScriptHashes(clientDir: string): string[] {
	if (!existsSync(clientDir)) return [];
	const all = new Set<string>();
	for (const file of htmlFiles(clientDir)) {
		for (const hash of inlineScriptHashes(readFileSync(file, 'utf8'))) all.add(hash);
	}
	return [...all].sort();
}

/** The policy's directives (exported for the tests and docs/deploy.md). */
export function cspDirectives(scriptHashes: readonly string[]): Record<string, string[]> {
	return {
		'default-src': ["'self'"],
		'script-src': ["'self'", ...scriptHashes],
		// Svelte sets inline `style` attributes (progress bars, positions); styles cannot run code.
		'style-src': ["'self'", "'unsafe-inline'"],
		'img-src': ["'self'", 'data:', 'blob:'],
		'font-src': ["'self'"],
		// 'self' covers same-origin ws:/wss: (the relay) in current browsers.
		'connect-src': ["'self'"],
		'worker-src': ["'self'"],
		'manifest-src': ["'self'"],
		'object-src': ["'none'"],
		'base-uri': ["'self'"],
		'form-action': ["'self'"],
		'frame-ancestors': ["'none'"]
	};
}

export async function registerSecurityHeaders(
	app: FastifyInstance,
	options: { clientDir: string; https: boolean }
): Promise<{ scriptHashes: string[] }> {
	const scriptHashes = clientScriptHashes(options.clientDir);
	await app.register(helmet, {
		global: true,
		contentSecurityPolicy: {
			useDefaults: false,
			directives: cspDirectives(scriptHashes)
		},
		frameguard: { action: 'deny' },
		referrerPolicy: { policy: 'no-referrer' },
		// HSTS only where the public origin is HTTPS: a school server on plain HTTP in its own
		// network must stay reachable, and browsers ignore the header over HTTP anyway.
		strictTransportSecurity: options.https ? { maxAge: 180 * 24 * 3600 } : false,
		// Invitation QR codes and exports are same-origin; nothing is embedded cross-origin.
		crossOriginEmbedderPolicy: false
	});
	return { scriptHashes };
}
