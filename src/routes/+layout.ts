// No server rendering: every screen renders from data on this device (IndexedDB), so the
// prerendered pages are an app shell that the service worker can serve with no network.
export const ssr = false;
export const prerender = true;
export const trailingSlash = 'never';
