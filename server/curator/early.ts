/**
 * A read started before the work that needs its answer (the database answers on its own core
 * meanwhile): its failure is the request's when it is awaited, and not the process's when the
 * request failed first and never awaits it.
 */
export function early<T>(read: Promise<T>): Promise<T> {
	read.catch(() => undefined);
	return read;
}
