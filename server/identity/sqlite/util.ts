/** Runs a synchronous better-sqlite3 call inside a promise (the repositories are async). */
export function run<T>(fn: () => T): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		try {
			resolve(fn());
		} catch (error) {
			reject(error instanceof Error ? error : new Error(String(error)));
		}
	});
}

export const bool = (v: unknown): boolean => v === 1 || v === true;
