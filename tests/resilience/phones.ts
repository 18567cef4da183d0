/**
 * Participants of the campaign: phones running the PWA's real sync layer (ProgramSync, ack-based
 * "saved"), a stock y-websocket client, random but valid program edits through the program core,
 * and the end-of-scenario invariants.
 */
import { expect } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
	DIAGNOSIS_FIELDS,
	ProgramEditor,
	createProgram,
	readProgram,
	summarize,
	type Actor
} from '../../src/lib/shared/program';
import tomskBeginner from '../../src/lib/shared/program/templates/tomsk-heads-beginner';
import { ProgramSync, type SyncState } from '../../src/lib/sync/program-sync';
import { readStored, token, type Rng } from './harness';

export interface Phone {
	name: string;
	actor: Actor;
	doc: Y.Doc;
	sync: ProgramSync;
	editor: ProgramEditor;
	/**
	 * This phone's own changes as they were at the last moment ProgramSync said "saved": what that
	 * word promises is stored. Not the whole document: it may hold a partner's edit that the relay
	 * forwarded before its commit, or that a crash lost and the partner will send again (docs/relay.md,
	 * "Durability") — the partner's own "saved" covers it.
	 */
	acked: Uint8Array | null;
	ackedAt: number;
	states: SyncState[];
	/** Points to a relay URL (e.g. a proxy in front of it); takes effect on the next connection. */
	setServer(wsBase: string): void;
	destroy(): void;
}

export function phone(opts: {
	name: string;
	actor: Actor;
	programId: string;
	wsBase: string;
	doc?: Y.Doc;
	clock?: () => Date;
	now?: () => number;
	/** Cap of the provider's reconnect back-off (ms): a CI-sized run cannot wait 10 s per fault. */
	maxBackoffMs?: number;
}): Phone {
	const doc = opts.doc ?? new Y.Doc();
	const states: SyncState[] = [];
	// This phone's changes: every update that did not come from the relay (as ProgramSync counts).
	let own: Uint8Array[] = [];
	const sync = new ProgramSync({
		programId: opts.programId,
		doc,
		serverUrl: opts.wsBase,
		deviceId: `${opts.name}-device`,
		getToken: async () => token(opts.actor.userId, opts.programId),
		WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
		startOffline: true,
		...(opts.now ? { now: opts.now } : {}),
		onState: (s) => {
			states.push(s);
			if (states.length > 200) states.splice(0, 100);
			if (s.phase === 'saved') {
				own = [Y.mergeUpdates(own)];
				p.acked = own[0] as Uint8Array;
				p.ackedAt = Date.now();
			}
		}
	});
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin !== sync.provider) own.push(update);
	});
	if (opts.maxBackoffMs) sync.provider.maxBackoffTime = opts.maxBackoffMs;
	const p: Phone = {
		name: opts.name,
		actor: opts.actor,
		doc,
		sync,
		editor: new ProgramEditor(doc, opts.actor, opts.clock ? { clock: opts.clock } : {}),
		acked: null,
		ackedAt: 0,
		states,
		setServer(wsBase) {
			sync.provider.serverUrl = wsBase;
		},
		destroy() {
			try {
				sync.destroy();
			} catch (error) {
				// Seen only after Yjs changed the doc's client id (another writer used it): the
				// provider's awareness has no entry for the new id. Reported, not hidden.
				console.warn(`[phones] ${opts.name}: ProgramSync.destroy threw: ${String(error)}`);
			}
		}
	};
	return p;
}

/** A stock y-websocket 3 client (no ack, no device status), e.g. an old app or a third device. */
export function stockClient(
	wsBase: string,
	programId: string,
	userId: string,
	doc = new Y.Doc()
): { doc: Y.Doc; provider: WebsocketProvider; destroy(): void } {
	const provider = new WebsocketProvider(wsBase, programId, doc, {
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		params: { token: token(userId, programId) },
		disableBc: true,
		maxBackoffTime: 500
	});
	return {
		doc,
		provider,
		destroy() {
			provider.destroy();
		}
	};
}

export const MENTOR: Actor = { userId: 'mentor-1', role: 'mentor' };
export const MENTEE: Actor = { userId: 'mentee-1', role: 'mentee' };

/** Writes a Tomsk program into `doc` (as the first device would), with fixed ids per program. */
export function seedProgram(doc: Y.Doc, programId: string, startDate = '2026-09-01'): void {
	let n = 0;
	createProgram(doc, MENTOR, tomskBeginner, {
		programId,
		startDate,
		participants: [
			{ role: 'mentor', name: 'Иванова Мария Сергеевна', userId: MENTOR.userId },
			{ role: 'mentee', name: 'Петров Алексей Игоревич', userId: MENTEE.userId }
		],
		newId: () => `${programId}-seed-${n++}`
	});
}

const WORDS = ['план', 'урок', 'диагностика', 'встреча', 'отчёт', 'цели', ' ', '; ', 'ё', '✓'];
const DAYS = ['2026-09-10', '2026-10-01', '2026-11-20', '2027-01-15', '2027-03-15', '2027-05-30'];

/**
 * One random, valid user action through ProgramEditor (as the screens do). Returns its name.
 * Rejections by the program's own rules (e.g. reopening an open activity) are fine: nothing is written.
 */
export function randomAction(editor: ProgramEditor, doc: Y.Doc, r: Rng): string {
	const view = readProgram(doc);
	const activities = view.activities; // removed ones are hidden by readProgram
	const kind = r.pick([
		'type',
		'type',
		'type',
		'erase',
		'meeting',
		'complete',
		'reopen',
		'deadline',
		'add',
		'remove',
		'restore'
	] as const);
	try {
		switch (kind) {
			case 'type':
			case 'erase': {
				const field = r.pick(DIAGNOSIS_FIELDS);
				const text = editor.text({ kind: 'diagnosis', field });
				const at = r.int(text.length + 1);
				if (kind === 'type') editor.editText({ kind: 'diagnosis', field }, at, 0, r.pick(WORDS));
				else if (text.length > 0) {
					const from = r.int(text.length);
					editor.editText({ kind: 'diagnosis', field }, from, Math.min(3, text.length - from));
				}
				break;
			}
			case 'meeting':
				editor.logMeeting({
					date: r.pick(DAYS),
					format: r.pick(['in-person', 'remote'] as const),
					kind: 'regular',
					topic: `Встреча ${r.int(1000)}`
				});
				break;
			case 'complete':
				if (activities.length) editor.completeActivity(r.pick(activities).id, r.pick(DAYS));
				break;
			case 'reopen':
				if (activities.length) editor.reopenActivity(r.pick(activities).id);
				break;
			case 'deadline':
				if (activities.length) editor.setDeadline(r.pick(activities).id, r.pick(DAYS));
				break;
			case 'add': {
				const stage = view.stages.length ? r.pick(view.stages) : null;
				if (stage) editor.addActivity({ stageId: stage.id, title: `Мероприятие ${r.int(1000)}` });
				break;
			}
			case 'remove':
				if (activities.length) editor.removeActivity(r.pick(activities).id);
				break;
			case 'restore': {
				// Removed activities are hidden from the view: find them in the document.
				const removed = doc
					.getArray<Y.Map<unknown>>('activities')
					.toArray()
					.filter((m) => m instanceof Y.Map && m.get('removed') === true);
				if (removed.length) editor.restoreActivity(String(r.pick(removed).get('id')));
				break;
			}
		}
	} catch (error) {
		if (!(error instanceof Error) || error.name !== 'ProgramValidationError') throw error;
	}
	return kind;
}

/** Equal state vectors and delete sets: two replicas hold exactly the same document. */
export function sameDocument(a: Y.Doc, b: Y.Doc): boolean {
	return Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b));
}

/** A document built from one update. */
export function docOf(update: Uint8Array): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, update);
	return doc;
}

/** True when applying `update` to `target` would change nothing (target already has all of it). */
export function contains(target: Y.Doc, update: Uint8Array): boolean {
	const copy = docOf(Y.encodeStateAsUpdate(target));
	const before = Y.snapshot(copy);
	Y.applyUpdate(copy, update);
	const same = Y.equalSnapshots(before, Y.snapshot(copy));
	copy.destroy();
	return same;
}

/** Which structs of `update` the target lacks, by client id and clocks (for a failure's message). */
export function missingStructs(target: Y.Doc, update: Uint8Array): string {
	const { structs } = Y.decodeUpdate(Y.diffUpdate(update, Y.encodeStateVector(target)));
	const byClient = new Map<number, string[]>();
	for (const s of structs)
		byClient.set(s.id.client, [
			...(byClient.get(s.id.client) ?? []),
			`${s.id.clock}–${s.id.clock + s.length - 1}`
		]);
	return [...byClient].map(([c, r]) => `client ${c}: ${r.join(', ')}`).join('; ') || 'none';
}

/**
 * The invariants every scenario ends with (docs/resilience.md):
 * 1. all replicas identical to each other and to the stored document;
 * 2. everything a phone was told is saved is in the stored document;
 * 3. the stored summary equals `summarize` of the stored document (for the day it was computed),
 *    through no later update than the last stored (an update no summary reads leaves it as it
 *    was: summaryCurrent);
 * 4. nothing half-written: every stored log row decodes.
 */
export function expectInvariants(
	dataDir: string,
	programId: string,
	replicas: { name: string; doc: Y.Doc; acked?: Uint8Array | null }[],
	context: string,
	opts: { summary?: boolean } = {}
): ReturnType<typeof readStored> {
	const stored = readStored(dataDir, programId);
	expect(stored.badRows, `${context}: undecodable stored rows`).toBe(0);
	for (const r of replicas) {
		expect(
			sameDocument(r.doc, stored.doc),
			`${context}: ${r.name} differs from the stored document`
		).toBe(true);
		if (r.acked) {
			expect(contains(stored.doc, r.acked), `${context}: ${r.name} lost acknowledged work`).toBe(
				true
			);
		}
	}
	if (opts.summary !== false) {
		expect(stored.summary, `${context}: no stored summary`).not.toBeNull();
		const s = stored.summary as { summary: { asOf: string }; throughSeq: number };
		expect(
			s.throughSeq,
			`${context}: stored summary through ${s.throughSeq} of ${stored.lastSeq}`
		).toBeLessThanOrEqual(stored.lastSeq);
		expect(s.summary, `${context}: stored summary differs from summarize(stored doc)`).toEqual(
			JSON.parse(JSON.stringify(summarize(stored.doc, s.summary.asOf)))
		);
	}
	return stored;
}
