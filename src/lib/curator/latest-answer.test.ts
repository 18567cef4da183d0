import { afterEach, describe, expect, it, vi } from 'vitest';
import { getJson } from './api';
import { LatestAnswer } from './latest-answer';

/** A request answered (or failed) when the test says, aware of its signal. */
function pending<T>() {
	let answer!: (v: T) => void;
	let failWith!: (e: unknown) => void;
	let signal: AbortSignal | null = null;
	const request = (s: AbortSignal) => {
		signal = s;
		return new Promise<T>((resolve, reject) => ((answer = resolve), (failWith = reject)));
	};
	return {
		request,
		answer: (v: T) => answer(v),
		fail: (e: unknown) => failWith(e),
		signal: () => signal
	};
}

describe('LatestAnswer', () => {
	afterEach(() => vi.unstubAllGlobals());

	it('shows the latest load’s answer only, whatever order they come back in', async () => {
		const latest = new LatestAnswer();
		const shown: string[] = [];
		const first = pending<string>();
		const second = pending<string>();
		const a = latest.load(first.request, (v) => shown.push(v));
		const b = latest.load(second.request, (v) => shown.push(v));
		expect(first.signal()?.aborted).toBe(true);
		expect(second.signal()?.aborted).toBe(false);
		second.answer('second');
		first.answer('first');
		await Promise.all([a, b]);
		expect(shown).toEqual(['second']);
	});

	it('abandon (the effect’s cleanup) drops the answer and the error of the load under way', async () => {
		const latest = new LatestAnswer();
		const shown: string[] = [];
		const errors: string[] = [];
		const ok = pending<string>();
		const done = latest.load(ok.request, (v) => shown.push(v));
		latest.abandon();
		ok.answer('late');
		await done;
		const failing = pending<string>();
		const failed = latest.load(
			failing.request,
			(v) => shown.push(v),
			(e) => errors.push(e.messageRu ?? '')
		);
		latest.abandon();
		failing.fail({ messageRu: 'Нет связи с сервером.' });
		await failed;
		expect(shown).toEqual([]);
		expect(errors).toEqual([]);
	});

	it('the latest load’s error reaches `fail`', async () => {
		const latest = new LatestAnswer();
		const errors: string[] = [];
		const failing = pending<string>();
		const done = latest.load(
			failing.request,
			() => {},
			(e) => errors.push(e.messageRu ?? '')
		);
		failing.fail({ messageRu: 'Ошибка сервера.' });
		await done;
		expect(errors).toEqual(['Ошибка сервера.']);
	});

	it('getJson passes the signal to fetch; an aborted request is no network error', async () => {
		const fetch = vi.fn(
			(_url: string, init: RequestInit) =>
				new Promise<Response>((_resolve, reject) =>
					init.signal?.addEventListener('abort', () =>
						reject(new DOMException('aborted', 'AbortError'))
					)
				)
		);
		vi.stubGlobal('fetch', fetch);
		const controller = new AbortController();
		const answer = getJson('/api/x', controller.signal);
		controller.abort();
		await expect(answer).rejects.toMatchObject({ code: 'aborted' });
		expect(fetch.mock.calls[0]?.[1].signal).toBe(controller.signal);
	});
});
