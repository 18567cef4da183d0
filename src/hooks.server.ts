import type { Handle } from '@sveltejs/kit';

/**
 * Runs only while the app shell is prerendered at build time (adapter-static: the Node server
 * serves the files as they are).
 *
 * SvelteKit lists the app's modules in the page's head as `<link rel="modulepreload">`, which
 * the browser fetches while it parses the head. They are made inert here (`x-modulepreload`):
 * `src/app.html` starts them itself, at once on a first visit, or right after the first frame
 * when it paints the screen stored from the last visit (`src/lib/device/first-paint.ts`) — a phone
 * on slow 4G then spends its first round trips on what it shows, not on scripts.
 */
export function deferModulePreloads(html: string): string {
	return html.replace(/<link\b([^>]*)\brel="modulepreload"/g, '<link$1rel="x-modulepreload"');
}

export const handle: Handle = ({ event, resolve }) =>
	resolve(event, { transformPageChunk: ({ html }) => deferModulePreloads(html) });
