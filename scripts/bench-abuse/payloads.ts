/**
 * Hostile payloads of `npm run bench:abuse` (issue #14), built the way an attacker builds them:
 * with stock Yjs where Yjs can encode the thing, with lib0 by hand where it cannot do it cheaply.
 * Kept small on purpose; the relay tests have their own (tests/support/hostile-payloads.ts when
 * it exists).
 */
import ExcelJS from 'exceljs';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** An array nested `depth` deep: `[[[…[1]…]]]` (about 2 bytes per level once encoded). */
export function nested(depth: number): unknown {
	let v: unknown = 1;
	for (let i = 0; i < depth; i++) v = [v];
	return v;
}

/** A JSON string of arrays nested `depth` deep, built without recursion. */
export function nestedJson(depth: number, inner = '1'): string {
	return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/**
 * An update whose JSON content (ContentAny) is nested `depth` deep (5,000 → ~10 KB): one struct
 * (clock 0, length 1) of `client`. The caller must not apply it: decoding it may overflow the stack.
 */
export function deepContentUpdate(depth = 5000): { update: Uint8Array; client: number } {
	const doc = new Y.Doc();
	doc.getMap('bench-abuse').set(`deep-${doc.clientID}`, nested(depth));
	const update = Y.encodeStateAsUpdate(doc);
	const client = doc.clientID;
	doc.destroy();
	return { update, client };
}

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

/**
 * One update with one map entry under each of `count` client ids (`firstClient` …): the
 * "10,000 client ids, 250 KB" update. Written by hand (update format v1) because building it
 * through 10,000 Y.Docs costs the driver seconds per copy.
 */
export function manyClientsUpdate(
	count = 10_000,
	firstClient = 1_000_000,
	valueBytes = 8
): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, count);
	const value = 'x'.repeat(valueBytes);
	for (let i = 0; i < count; i++) {
		encoding.writeVarUint(e, 1); // structs of this client
		encoding.writeVarUint(e, firstClient + i); // client id
		encoding.writeVarUint(e, 0); // first clock
		// Item: ContentAny (ref 8) with a parentSub (bit 6), no origins; parent is a root type by name.
		encoding.writeUint8(e, 8 | 0x20);
		encoding.writeVarUint(e, 1); // parent given as a root type name
		encoding.writeVarString(e, 'ba-many');
		encoding.writeVarString(e, (firstClient + i).toString(36));
		encoding.writeVarUint(e, 1); // one value
		encoding.writeAny(e, value);
	}
	encoding.writeVarUint(e, 0); // empty delete set
	return encoding.toUint8Array(e);
}

/** An awareness update (y-protocols format) with one client's state given as JSON text. */
export function awarenessUpdate(clientId: number, clock: number, stateJson: string): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 1);
	encoding.writeVarUint(e, clientId);
	encoding.writeVarUint(e, clock);
	encoding.writeVarString(e, stateJson);
	return encoding.toUint8Array(e);
}

/** Awareness state nested `depth` deep and padded to about `bytes` (default: just under 2 MiB). */
export function deepAwarenessState(depth = 10_000, bytes = 2 * 1024 * 1024 - 4096): string {
	const core = nestedJson(depth, `"${'p'.repeat(Math.max(0, bytes - 2 * depth - 64))}"`);
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
