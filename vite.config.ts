import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig, type Plugin } from 'vite';

/**
 * V8's explicit compile hint (Chromium 136+; other engines read a comment): a script whose first
 * line is `//# allFunctionsCalledOnLoad` has all its functions compiled while it streams in, on a
 * background thread, instead of each one on the main thread the first time it is called. A
 * first visit (or Lighthouse, which clears the caches) has no code cache, and the app's scripts
 * are the ones its first screen runs. Cold loads at a 4× CPU slowdown, two builds alternating
 * (bench:page-load, two sittings): the main thread's blocking time 482 → 320 and 428 → 223 ms on
 * the program page, 221 → 64 and 164 → 69 ms on the home page (docs/benchmarks.md). Added after
 * minification (which drops comments) and after the chunks' hashes: a constant line.
 */
function eagerCompileHint(): Plugin {
	return {
		name: 'nastavnik:eager-compile-hint',
		apply: 'build',
		enforce: 'post',
		generateBundle: {
			// After Vite's own (its preload map is written at the top of some chunks).
			order: 'post',
			handler(_options, bundle) {
				if (this.environment.config.consumer !== 'client') return;
				for (const file of Object.values(bundle))
					if (file.type === 'chunk') file.code = `//# allFunctionsCalledOnLoad\n${file.code}`;
			}
		}
	};
}

export default defineConfig({
	build: {
		rollupOptions: {
			output: {
				// Small chunks merged into the chunks that load with them: the program screen loaded ~50
				// scripts, and offline each one costs the page's main thread its request and response
				// handling through the service worker (~1 ms apiece) and another round of the module
				// graph. docs/benchmarks.md, "The offline cold start: fewer requests, one render".
				experimentalMinChunkSize: 20_000
			}
		}
	},
	plugins: [
		eagerCompileHint(),
		sveltekit(),
		SvelteKitPWA({
			// 'prompt': a new version never reloads the page by itself while someone is typing;
			// the app shows «Доступна новая версия» and reloads when the user agrees.
			registerType: 'prompt',
			injectRegister: false,
			// The service worker's URL and scope from the site's root. SvelteKit builds with relative
			// paths, so by default the app registered './sw.js': from a deep link (/program/…) that
			// is /program/sw.js, answered with the app shell (text/html), and the app never
			// installed for offline use on a phone whose first page was a program's link.
			base: '/',
			scope: '/',
			manifest: {
				name: 'Наставник — программы наставничества',
				short_name: 'Наставник',
				description:
					'Персонализированные программы наставничества: совместная работа наставника и наставляемого без сети.',
				lang: 'ru',
				dir: 'ltr',
				start_url: '/',
				scope: '/',
				display: 'standalone',
				orientation: 'portrait',
				background_color: '#ffffff',
				theme_color: '#0f5c55',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
					{
						src: '/icons/icon-maskable-512.png',
						sizes: '512x512',
						type: 'image/png',
						purpose: 'maskable'
					}
				]
			},
			kit: {
				adapterFallback: '200.html',
				spa: true,
				includeVersionFile: true
			},
			workbox: {
				globPatterns: ['client/**/*.{js,css,ico,png,svg,webp,webmanifest,woff2}'],
				// API and sync traffic must always reach the server: never answer it from the cache.
				navigateFallbackDenylist: [/^\/api\//, /^\/sync\//, /^\/healthz/, /^\/metrics/],
				cleanupOutdatedCaches: true,
				// The first install takes control at once, so a phone that loses the network right after
				// its first visit still has the app. Updates still wait for the user (registerType 'prompt').
				clientsClaim: true,
				// Static routes for the app's immutable files (static/sw-static-routes.js).
				importScripts: ['/sw-static-routes.js']
			}
		})
	]
});
