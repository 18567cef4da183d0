/**
 * The curator's rendering memo (issue 14, round 2: 366 identical organization-wide exports in
 * 20 s were each rendered anew in the worker pool). Real tasks (the inline runner), counted.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { inlineTasks, type TaskInput, type TaskRunner } from '../workers/tasks.js';
import { inputKey, memoizeTasks } from './task-memo.js';

function counting(): { run: TaskRunner; calls: string[] } {
	const calls: string[] = [];
	const run: TaskRunner = (task, input) => {
		calls.push(task);
		return inlineTasks(task, input);
	};
	return { run, calls };
}

const docBytes = (text: string) => {
	const doc = new Y.Doc();
	doc.getText('t').insert(0, text);
	const u = Y.encodeStateAsUpdate(doc);
	doc.destroy();
	return u;
};

describe('curator rendering memo', () => {
	it('renders an identical request once and answers the repeats from it', async () => {
		const { run, calls } = counting();
		const tasks = memoizeTasks(run, { tasks: ['renderDocument'], ttlMs: 60_000 });
		const input: TaskInput<'renderDocument'> = {
			model: { name: 'Справка', title: 'Справка', blocks: [{ kind: 'heading', text: 'Справка' }] },
			format: 'docx'
		};
		const [a, b] = await Promise.all([
			tasks('renderDocument', input),
			tasks('renderDocument', input)
		]);
		const c = await tasks('renderDocument', structuredClone(input));
		expect(calls).toEqual(['renderDocument']);
		expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
		expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
	});

	it('renders again when anything in the input differs, including the document bytes', async () => {
		const a = { bytes: docBytes('one'), decisions: docBytes(''), format: 'docx', now: 0 };
		const b = { ...a, bytes: docBytes('two') };
		const key = (task: string, input: unknown) => inputKey(task, input);
		expect(await key('programDocument', a)).not.toBe(await key('programDocument', b));
		expect(await key('programDocument', a)).not.toBe(await key('programView', a));
		expect(await key('programDocument', a)).not.toBe(
			await key('programDocument', { ...a, format: 'pdf' })
		);
		// The same bytes under another field are another input.
		expect(await key('programDocument', a)).not.toBe(
			await key('programDocument', { ...a, bytes: a.decisions, decisions: a.bytes })
		);
		// "now" counts by the minute: within one minute a rendering's "today" cannot change.
		expect(await key('programDocument', { ...a, now: 59_000 })).toBe(
			await key('programDocument', a)
		);
		expect(await key('programDocument', { ...a, now: 60_000 })).not.toBe(
			await key('programDocument', a)
		);
	});

	it('hashes a document’s bytes off the event loop', async () => {
		// bench:abuse big-program (2026-11-24): the curator's views and exports of a 4 MiB
		// program hashed its bytes for this memo on the event loop, 10 ms a request, and
		// repeated requests put 50 ms of it into one 191 ms stall of every phone's messages.
		const { run, calls } = counting();
		const tasks = memoizeTasks(run, { tasks: ['ping'] });
		const input = {
			value: 1,
			bytes: new Uint8Array(32 * 1024 * 1024)
		} as unknown as TaskInput<'ping'>;
		let loopTurned = false;
		setImmediate(() => {
			loopTurned = true;
		});
		const result = tasks('ping', input);
		// Hashed synchronously, the task would have started before the loop could turn.
		const startedBeforeTheLoopTurned = calls.length > 0 && !loopTurned;
		await result;
		expect(startedBeforeTheLoopTurned).toBe(false);
		expect(loopTurned).toBe(true);
		expect(calls).toEqual(['ping']);
	});

	it('forgets results after its time, and never remembers a failure', async () => {
		let t = 0;
		const { run, calls } = counting();
		const tasks = memoizeTasks(run, { tasks: ['ping', 'readXlsx'], ttlMs: 1_000, now: () => t });
		await tasks('ping', { value: 1 });
		await tasks('ping', { value: 1 });
		expect(calls.length).toBe(1);
		t = 1_000;
		await tasks('ping', { value: 1 });
		expect(calls.length).toBe(2);
		const bad = { data: new Uint8Array([1, 2, 3]) };
		await expect(tasks('readXlsx', bad)).rejects.toThrow();
		await expect(tasks('readXlsx', bad)).rejects.toThrow();
		expect(calls.filter((c) => c === 'readXlsx').length).toBe(2);
		expect(tasks.size).toBe(1);
	});

	it('does not memoize tasks it was not told to', async () => {
		const { run, calls } = counting();
		const tasks = memoizeTasks(run, { tasks: ['programView'] });
		await tasks('ping', { value: 1 });
		await tasks('ping', { value: 1 });
		expect(calls.length).toBe(2);
	});
});
