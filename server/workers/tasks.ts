/**
 * What the worker pool runs (server/workers/pool.ts): plain functions, bytes and plain data in,
 * a result out, nothing shared with the main thread. The same functions run inline where no
 * pool is configured (`inlineTasks`), so callers are written once.
 *
 * Adding an input (e.g. a second document of a program) is one more field of the task's input.
 */
import { kernelThreadId } from './kernel-thread.js';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import * as Y from 'yjs';
import { transientDoc } from '../sync/transient-doc.js';
import { mergeUpdatesInRuns } from '../../src/lib/shared/merge-updates.js';
import { programToJSON, readProgram } from '../../src/lib/shared/program/index.js';
import { referencedHashes } from '../../src/lib/shared/program/attachments.js';
import { today as todayIn } from '../../src/lib/shared/time.js';
import { renderDocx } from '../curator/exports/docx.js';
import { fileNameOf, type DocModel } from '../curator/exports/model.js';
import { renderPdf } from '../curator/exports/pdf.js';
import {
	mentorReportModel,
	programModel,
	stageNoteModel
} from '../curator/exports/program-docs.js';
import { monitoringWorkbook, registriesWorkbook } from '../curator/exports/xlsx.js';
import { readCsv, readXlsx, type ImportRow } from '../identity/import.js';
import {
	mergeVerified,
	type MergeRequest,
	type MergeVerdict
} from '../storage/update-containment.js';
import {
	computeSummary,
	type SummaryTaskInput,
	type SummaryTaskOutput
} from '../sync/summaries.js';
import { taskStartMs, workerTaskMs } from '../sync/cpu-time.js';
import { programSummary } from '../sync/summary.js';

/** This thread's nice value (Linux: per thread); null elsewhere. */
function ownNice(): number | null {
	const tid = kernelThreadId();
	return tid === null ? null : getPriority(tid);
}

const bytesOf = (b: Uint8Array | Buffer): Buffer =>
	Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** A program's two documents (co-written and decisions), destroyed after `fn`. */
function withProgram<T>(
	input: { bytes: Uint8Array; decisions: Uint8Array },
	fn: (doc: Y.Doc, decisions: Y.Doc) => T
): T {
	const decisions = transientDoc();
	try {
		Y.applyUpdate(decisions, input.decisions);
		return withDoc(input.bytes, (doc) => fn(doc, decisions));
	} finally {
		decisions.destroy();
	}
}

/** A program document's Y.Doc, destroyed after `fn`. */
function withDoc<T>(bytes: Uint8Array, fn: (doc: Y.Doc) => T): T {
	const doc = transientDoc();
	try {
		Y.applyUpdate(doc, bytes);
		return fn(doc);
	} finally {
		doc.destroy();
	}
}

export interface ProgramDocumentInput {
	/** The program document (merged update). */
	bytes: Uint8Array;
	/** Its decisions document (server/sync/decisions.ts): verdicts are read only from it. */
	decisions: Uint8Array;
	format: 'docx' | 'pdf';
	organizationName: string;
	/** Now (ms): "today" is taken in the program's own time zone. */
	now: number;
	/** A stage's document (справка / отчет) instead of the whole program (null: not found). */
	stageId?: string;
	/** The mentor's semi-annual report of this period ('YYYY-06' / 'YYYY-12'; null: not owed). */
	period?: string;
}

export interface RenderedFile {
	fileName: string;
	body: Uint8Array;
}

/**
 * The relay's tasks: what a phone's sync or the storage's health waits on (a reconnecting phone's
 * merge of a big program, a compaction, a summary). The pool runs them before the requests'
 * heavy work and keeps a worker for them (pool.ts), so exports and imports — a curator's, or an
 * attacker's hostile spreadsheet — never make the phones wait.
 */
export const RELAY_TASKS: ReadonlySet<string> = new Set([
	'merge',
	'mergeVerified',
	'summary',
	'ping'
]);

export const TASKS = {
	/** Compaction: merge the stored parts and verify the result contains each (storage). */
	mergeVerified: (input: MergeRequest): MergeVerdict => mergeVerified(input),

	/** The relay's merge of a big document's parts (all or none: throws when they do not merge). */
	merge: (input: { parts: Uint8Array[] }): Uint8Array => mergeUpdatesInRuns(input.parts),

	/**
	 * The curator summary of a program document, and the task's work in this thread since the
	 * previous task (the relay's budget; cpu-time.ts, taskStartMs).
	 */
	summary: (input: SummaryTaskInput): SummaryTaskOutput => {
		const started = taskStartMs();
		const stored = computeSummary(
			input.programId,
			input.state,
			input.throughSeq,
			programSummary,
			input.now,
			input.decisions
		);
		return { stored, workMs: workerTaskMs() - started };
	},

	/** The curator's read-only program view, as plain JSON (Y.Text as strings). */
	programView: (input: { bytes: Uint8Array; decisions: Uint8Array }): { program: unknown } =>
		withProgram(input, (doc, decisions) => ({
			program: programToJSON(readProgram(doc, decisions))
		})),

	/**
	 * The attachment hashes a program's stored document refers to (the garbage collector's
	 * question): its compacted state and log rows, merged here.
	 */
	attachmentHashes: (input: { parts: Uint8Array[] }): string[] => {
		if (input.parts.length === 0) return [];
		return withDoc(mergeUpdatesInRuns(input.parts), (doc) => [
			...referencedHashes(doc, readProgram(doc).participants)
		]);
	},

	/** The program document (ППН), a stage's document or the mentor's report, rendered. Null: none such. */
	programDocument: async (input: ProgramDocumentInput): Promise<RenderedFile | null> => {
		const model = withProgram(input, (doc, decisions) => {
			const view = readProgram(doc, decisions);
			const ctx = {
				organizationName: input.organizationName,
				today: todayIn(view.meta.timeZone, input.now)
			};
			if (input.period !== undefined) return mentorReportModel(view, input.period, ctx);
			return input.stageId === undefined
				? programModel(view, ctx)
				: stageNoteModel(view, input.stageId, ctx);
		});
		if (!model) return null;
		return {
			fileName: fileNameOf(model.name, input.format),
			body: input.format === 'pdf' ? await renderPdf(model) : await renderDocx(model)
		};
	},

	/** A DOCX or PDF of a document model (scope notes and reports). */
	renderDocument: async (input: {
		model: DocModel;
		format: 'docx' | 'pdf';
	}): Promise<Uint8Array> =>
		input.format === 'pdf' ? renderPdf(input.model) : renderDocx(input.model),

	monitoringXlsx: (input: Parameters<typeof monitoringWorkbook>[0]): Promise<Uint8Array> =>
		monitoringWorkbook(input),

	registriesXlsx: (input: Parameters<typeof registriesWorkbook>[0]): Promise<Uint8Array> =>
		registriesWorkbook(input),

	/** Import parsing: the spreadsheet guard first, then ExcelJS (identity/import.ts). */
	readXlsx: (input: { data: Uint8Array }): Promise<ImportRow[]> => readXlsx(bytesOf(input.data)),

	readCsv: (input: { text: string }): ImportRow[] => readCsv(input.text),

	// Diagnostics: what the pool's own tests (and an operator checking a deployment) run.
	/** Answers at once (start-up self-check of the built server), with the thread's nice value (Linux). */
	ping: (input: {
		value: number;
	}): {
		value: number;
		threadId: number;
		tid: number | null;
		nice: number | null;
		heapMb: number;
	} => ({
		value: input.value,
		threadId,
		tid: kernelThreadId(),
		nice: ownNice(),
		heapMb: getHeapStatistics().total_heap_size / 1048576
	}),
	/** Keeps the worker's thread busy for `ms` without yielding (a runaway task). */
	spin: (input: { ms: number }): number => {
		const end = Date.now() + input.ms;
		let n = 0;
		while (Date.now() < end) n++;
		return n;
	},
	/** Holds `mb` MiB of live objects (a task past its memory limit). */
	allocate: async (input: { mb: number }): Promise<number> => {
		const held: number[][] = [];
		for (let i = 0; i < input.mb; i++) held.push(new Array<number>(128 * 1024).fill(i + 0.5));
		await sleep(1);
		return held.length;
	},
	/** Ends its worker's thread abruptly (a crashing task). */
	exit: (input: { code: number }): never => process.exit(input.code)
} as const;

export type Tasks = typeof TASKS;
export type TaskName = keyof Tasks;
export type TaskInput<K extends TaskName> = Parameters<Tasks[K]>[0];
export type TaskOutput<K extends TaskName> = Awaited<ReturnType<Tasks[K]>>;

/** Runs a task somewhere: in the pool, or inline. */
export type TaskRunner = <K extends TaskName>(
	task: K,
	input: TaskInput<K>
) => Promise<TaskOutput<K>>;

/** Runs tasks on the calling thread (no pool configured: tests, the CLI). */
export const inlineTasks: TaskRunner = <K extends TaskName>(task: K, input: TaskInput<K>) =>
	// The table's functions are checked one by one above; indexing it loses the pairing.
	new Promise<unknown>((resolve) =>
		resolve((TASKS[task] as (i: TaskInput<K>) => unknown)(input))
	).then((output) => output as TaskOutput<K>);
