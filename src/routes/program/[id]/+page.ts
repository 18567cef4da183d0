// Program ids are only known on the device, so this page cannot be prerendered: the service
// worker and the server answer it with the app shell (200.html) and it renders in the browser.
export const prerender = false;
