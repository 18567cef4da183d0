// Only the latest answer of a screen's load reaches the screen.
//
// A curator's screen loads its data in an `$effect` and again whenever the effect's inputs change
// (the scope picker, a filter, the year, the organization chosen). The requests run side by side
// and their answers come back in any order: the previous scope's answer arriving after the new
// scope's would replace it — the calendar settings then showed the previous municipality's items
// and «Сохранить календарь» wrote them into the new one. Starting a load through a LatestAnswer
// abandons the one before it, and the effect returns `abandon` as its cleanup (Svelte runs it
// before the effect's next run and when the screen goes away): the abandoned request is aborted
// (its `signal`, passed to getJson) and whatever it still answers, data or error, is dropped.
import type { CuratorApiError } from './api';

/** What a failed load hands to `fail`: a CuratorApiError, usually (its Russian message). */
export type LoadError = Partial<Pick<CuratorApiError, 'status' | 'code' | 'messageRu'>>;

export class LatestAnswer {
	#current: AbortController | null = null;

	/**
	 * Starts a load and abandons the one under way. `request` gets the signal to pass to each of
	 * its requests; `show` gets its answer and `fail` its error, each only while this load is the
	 * latest (never for an abandoned one, whose abort is no error to show). Resolves when done.
	 */
	load<T>(
		request: (signal: AbortSignal) => Promise<T>,
		show: (answer: T) => void,
		fail: (error: LoadError) => void = () => {}
	): Promise<void> {
		this.#current?.abort();
		const mine = new AbortController();
		this.#current = mine;
		let answer: Promise<T>;
		try {
			answer = request(mine.signal);
		} catch (e) {
			answer = Promise.reject(e);
		}
		return answer.then(
			(a) => {
				if (!mine.signal.aborted) show(a);
			},
			(e: unknown) => {
				if (!mine.signal.aborted) fail((e ?? {}) as LoadError);
			}
		);
	}

	/** The effect's cleanup: the load under way is abandoned (aborted, its answer dropped). */
	readonly abandon = (): void => {
		this.#current?.abort();
		this.#current = null;
	};
}
