/**
 * Hostile payloads of `npm run bench:abuse` (issue #14), built the way an attacker builds them:
 * with stock Yjs where Yjs can encode the thing. The byte-level ones (deep content, many client
 * ids, awareness) are the relay tests' own, tests/support/hostile-payloads.ts.
 */
import ExcelJS from 'exceljs';
import * as Y from 'yjs';
import { nestedJsonText } from '../../tests/support/hostile-payloads';

/** Two consecutive updates of one writer (u1 then u2); the attack sends them as [u2, u1]. */
export function consecutiveUpdates(): [Uint8Array, Uint8Array] {
	const doc = new Y.Doc();
	const out: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => out.push(u));
	const text = doc.getText('bench-abuse-order');
	text.insert(0, 'first ');
	text.insert(text.length, 'second');
	doc.destroy();
	if (out.length !== 2) throw new Error('expected two updates');
	return [out[0] as Uint8Array, out[1] as Uint8Array];
}

/** Awareness state nested `depth` deep and padded to about `bytes` (default: just under 2 MiB). */
export function deepAwarenessState(depth = 10_000, bytes = 2 * 1024 * 1024 - 4096): string {
	const core = nestedJsonText(depth, `"${'p'.repeat(Math.max(0, bytes - 2 * depth - 64))}"`);
	return `{"user":{"name":"Наставник","deep":${core}}}`;
}

/** A ~`bytes` update appended to `doc` (a Y.Text insert), for growing one program. */
export function bigTextUpdate(doc: Y.Doc, bytes: number): Uint8Array {
	const before = Y.encodeStateVector(doc);
	const text = doc.getText('bench-abuse-big');
	text.insert(text.length, 'ж'.repeat(Math.floor(bytes / 2))); // 2 bytes each in UTF-8
	return Y.encodeStateAsUpdate(doc, before);
}

/**
 * An update written under someone else's client id, continuing that client's clock from the
 * document state the attacker synced (the id is visible in presence).
 */
export function claimClientIdUpdate(
	state: Uint8Array,
	victimClientId: number,
	n: number
): Uint8Array {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	// Set after applying: Yjs picks a new id when a remote update touches its own.
	doc.clientID = victimClientId;
	const before = Y.encodeStateVector(doc);
	doc.getMap('bench-abuse-claim').set(`k${n}`, n);
	const update = Y.encodeStateAsUpdate(doc, before);
	doc.destroy();
	return update;
}

/** The program's title (meta map) set to a string XML cannot hold. */
export function hostileTitleUpdate(state: Uint8Array, n: number): Uint8Array {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	const before = Y.encodeStateVector(doc);
	doc.getMap('meta').set('title', `Программа \uFFFE ${n}`);
	const update = Y.encodeStateAsUpdate(doc, before);
	doc.destroy();
	return update;
}

/**
 * The import spreadsheet of the issue: the bank's headers, `rows` short rows, and one cell in
 * column XFD (the last one), so that a reader that walks `columnCount` walks 16,384 columns per row.
 */
export async function xfdSpreadsheet(rows = 2500): Promise<Buffer> {
	const wb = new ExcelJS.Workbook();
	const ws = wb.addWorksheet('Люди');
	ws.addRow(['ФИО', 'Роль', 'Должность']);
	for (let i = 0; i < rows; i++) ws.addRow([`Иванов ${i}`, 'наставник', 'учитель']);
	ws.getCell('XFD1').value = 'x';
	return Buffer.from(await wb.xlsx.writeBuffer());
}
