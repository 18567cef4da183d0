/**
 * Resolves in a later task, so the browser can handle a tap and paint in between: a phone stays
 * responsive while a program loads (Lighthouse counts each task's excess over 50 ms as blocking
 * time). `scheduler.yield()` (Chromium 129+) resumes ahead of other queued tasks; elsewhere a
 * timeout.
 */
export function nextTask(): Promise<void> {
	const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
	return scheduler?.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}
