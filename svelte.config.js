import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// The PWA is a static app shell: every screen renders from local data in the browser,
		// so the server only has to hand out files. The fallback page serves deep links.
		// precompress: a .br and a .gz beside every file, which the server sends as they are
		// (a phone on slow 4G pays for bytes; compressing once at build costs the server nothing).
		adapter: adapter({
			pages: 'build/client',
			assets: 'build/client',
			fallback: '200.html',
			precompress: true
		}),
		serviceWorker: { register: false },
		version: { pollInterval: 0 }
	}
};

export default config;
