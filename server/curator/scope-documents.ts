/**
 * Storage of the scope documents' versions (migration 90) and of the municipalities' calendars
 * (migration 91). A document is keyed by (scope kind, scope id, document kind, period); each save
 * appends version n + 1 with its author and time, never overwriting one; a handed-in version
 * keeps `snapshot`, the document model as it read at that moment (figures included), which is
 * what it shows and downloads from then on (docs/curator.md «Documents and the calendar»).
 */
import {
	calendarProblems,
	defaultCalendar,
	type CalendarConfig
} from '../../src/lib/shared/calendar.js';
import type { ScopeDocKind, WrittenSection } from '../../src/lib/shared/api/scope-documents.js';
import type { SqlClient } from '../storage/sql.js';
import type { DocModel } from './exports/model.js';

export interface DocumentKey {
	scopeKind: 'organization' | 'municipality';
	scopeId: string;
	kind: ScopeDocKind;
	from: string;
	to: string;
}

export interface StoredVersion {
	version: number;
	sections: Partial<Record<WrittenSection, string>>;
	authorId: string;
	authorName: string;
	createdAt: number;
	handedIn: boolean;
	/** A handed-in version: the document model as it read then. */
	snapshot: DocModel | null;
}

type Row = {
	version: number;
	sections: string;
	author_id: string;
	author_name: string;
	created_at: number;
	handed_in: number;
	snapshot: string | null;
};

const KEY_WHERE = `scope_kind = ? AND scope_id = ? AND doc_kind = ? AND period_from = ? AND period_to = ?`;
const keyParams = (k: DocumentKey) => [k.scopeKind, k.scopeId, k.kind, k.from, k.to];

function parse<T>(text: string | null, fallback: T): T {
	if (text === null) return fallback;
	try {
		return JSON.parse(text) as T;
	} catch {
		return fallback;
	}
}

const toVersion = (r: Row, withSnapshot: boolean): StoredVersion => ({
	version: Number(r.version),
	sections: parse(r.sections, {}),
	authorId: r.author_id,
	authorName: r.author_name,
	createdAt: Number(r.created_at),
	handedIn: Number(r.handed_in) === 1,
	snapshot: withSnapshot ? parse<DocModel | null>(r.snapshot, null) : null
});

/** Every version of a document, newest first, without the snapshots. */
export async function listVersions(db: SqlClient, key: DocumentKey): Promise<StoredVersion[]> {
	const rows = await db.all<Row>(
		`SELECT version, sections, author_id, author_name, created_at, handed_in, NULL AS snapshot
			FROM scope_document_versions WHERE ${KEY_WHERE} ORDER BY version DESC`,
		keyParams(key)
	);
	return rows.map((r) => toVersion(r, false));
}

/** One version with its snapshot (`version` omitted: the newest); null when there is none. */
export async function getVersion(
	db: SqlClient,
	key: DocumentKey,
	version?: number
): Promise<StoredVersion | null> {
	const row =
		version === undefined
			? await db.get<Row>(
					`SELECT version, sections, author_id, author_name, created_at, handed_in, snapshot
						FROM scope_document_versions WHERE ${KEY_WHERE} ORDER BY version DESC LIMIT 1`,
					keyParams(key)
				)
			: await db.get<Row>(
					`SELECT version, sections, author_id, author_name, created_at, handed_in, snapshot
						FROM scope_document_versions WHERE ${KEY_WHERE} AND version = ?`,
					[...keyParams(key), version]
				);
	return row ? toVersion(row, true) : null;
}

/**
 * Appends version `baseVersion + 1`, only if `baseVersion` is still the newest: a writer who
 * started from an older version (someone saved in between) gets false and loses nothing.
 */
export async function appendVersion(
	db: SqlClient,
	key: DocumentKey,
	baseVersion: number,
	v: Omit<StoredVersion, 'version'>
): Promise<boolean> {
	try {
		const changed = await db.run(
			`INSERT INTO scope_document_versions (scope_kind, scope_id, doc_kind, period_from, period_to,
					version, sections, author_id, author_name, created_at, handed_in, snapshot)
				SELECT ?, ?, ?, ?, ?, CAST(? AS BIGINT), ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), ?
				WHERE (SELECT coalesce(max(version), 0) FROM scope_document_versions WHERE ${KEY_WHERE}) = ?`,
			[
				...keyParams(key),
				baseVersion + 1,
				JSON.stringify(v.sections),
				v.authorId,
				v.authorName,
				v.createdAt,
				v.handedIn ? 1 : 0,
				v.snapshot ? JSON.stringify(v.snapshot) : null,
				...keyParams(key),
				baseVersion
			]
		);
		return changed === 1;
	} catch (e) {
		// Two writers at once: the primary key lets one in; the other is told, as above.
		if (/unique|duplicate|constraint/i.test(String((e as Error).message))) return false;
		throw e;
	}
}

/** Versions and the newest one's hand-in state of many documents of a scope (the calendar's links). */
export async function documentStates(
	db: SqlClient,
	scopeKind: 'organization' | 'municipality',
	scopeIds: string[]
): Promise<Map<string, { versions: number; handedIn: boolean }>> {
	const out = new Map<string, { versions: number; handedIn: boolean }>();
	if (!scopeIds.length) return out;
	const rows = await db.all<{
		scope_id: string;
		doc_kind: string;
		period_from: string;
		period_to: string;
		version: number;
		handed_in: number;
	}>(
		`SELECT scope_id, doc_kind, period_from, period_to, version, handed_in FROM scope_document_versions
			WHERE scope_kind = ? AND scope_id IN (${scopeIds.map(() => '?').join(',')})`,
		[scopeKind, ...scopeIds]
	);
	for (const r of rows) {
		const k = stateKey(r.scope_id, r.doc_kind, r.period_from, r.period_to);
		const cur = out.get(k);
		const v = Number(r.version);
		if (!cur || v > cur.versions) out.set(k, { versions: v, handedIn: Number(r.handed_in) === 1 });
	}
	return out;
}

export const stateKey = (scopeId: string, kind: string, from: string, to: string): string =>
	`${scopeId}\u0000${kind}\u0000${from}\u0000${to}`;

/** The person's name as it signs a version (a label kept with the version). */
export async function personName(db: SqlClient, personId: string): Promise<string> {
	const r = await db.get<{ full_name: string }>(`SELECT full_name FROM people WHERE id = ?`, [
		personId
	]);
	return r?.full_name ?? '';
}

// ------------------------------------------------------------------ calendars

/** The municipality's calendar, or the default one when its coordinator has not set one. */
export async function loadCalendar(
	db: SqlClient,
	municipalityId: string
): Promise<{ config: CalendarConfig; configured: boolean }> {
	const row = await db.get<{ config: string }>(
		`SELECT config FROM municipality_calendars WHERE municipality_id = ?`,
		[municipalityId]
	);
	const stored = row ? parse<CalendarConfig | null>(row.config, null) : null;
	if (stored && Array.isArray(stored.items) && calendarProblems(stored).length === 0)
		return { config: stored, configured: true };
	return { config: defaultCalendar(), configured: false };
}

export async function saveCalendar(
	db: SqlClient,
	municipalityId: string,
	config: CalendarConfig,
	by: string,
	now: number
): Promise<void> {
	const json = JSON.stringify(config);
	const changed = await db.run(
		`UPDATE municipality_calendars SET config = ?, updated_by = ?, updated_at = ? WHERE municipality_id = ?`,
		[json, by, now, municipalityId]
	);
	if (changed === 0)
		await db.run(
			`INSERT INTO municipality_calendars (municipality_id, config, updated_by, updated_at) VALUES (?, ?, ?, ?)`,
			[municipalityId, json, by, now]
		);
}
