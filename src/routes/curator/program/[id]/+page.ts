// Program ids come from the server at run time: rendered in the browser from the app shell.
export const prerender = false;
