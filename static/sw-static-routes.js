// Imported by the service worker (vite.config.ts, workbox.importScripts). The app's files under
// /_app/immutable/ have a hash in their names and are precached under their own URLs, so Chromium
// (123+) may serve them from Cache Storage itself, without running the worker's script for each
// request: a program's cold start asks for ~20 of them. A file missing from the cache is fetched from the
// network, as the worker's precache route did. Browsers without static routing ignore this.
self.addEventListener('install', (event) => {
	if (typeof event.addRoutes !== 'function') return;
	event
		.addRoutes({ condition: { urlPattern: { pathname: '/_app/immutable/*' } }, source: 'cache' })
		.catch((error) => console.warn('service worker static routes not added', error));
});
