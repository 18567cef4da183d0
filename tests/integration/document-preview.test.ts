/**
 * The screen's preview of a scope document lists the first PREVIEW_ROWS programs of its lists
 * and says how many there are; the document as handed in (and its files) keeps all of them
 * (issue 18: a region's аналитический отчет listed 78,000 late programs on the screen, and built
 * every line for it). A municipality of 3 schools whose late programs outnumber the preview.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CuratorService } from '../../server/curator/service';
import { PREVIEW_ROWS } from '../../server/curator/exports/scope-docs';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { blankPerson } from '../../server/identity/model';
import type { Actor } from '../../server/identity/policy';
import { createLogger } from '../../server/logger';
import { createPrograms } from '../../server/programs/index';
import type { PreviewBlock, ScopeDocumentState } from '../../src/lib/shared/api/scope-documents';
import { byRussian } from '../../src/lib/shared/names';
import { addDays } from '../../src/lib/shared/time';
import { createDataset, type Dataset } from './curator-fixtures';

let ds: Dataset;
let curator: CuratorService;
let actor: Actor;

beforeAll(async () => {
	ds = await createDataset({ programs: PREVIEW_ROWS + 90, organizations: 3, seed: 57 });
	const logger = createLogger('silent');
	const identity = createIdentity({
		store: createIdentityStore(ds.sql),
		secret: 'preview-test-secret-preview-test-secret',
		logger
	});
	const programs = createPrograms({ identity, documents: ds.store, logger });
	curator = new CuratorService({
		db: ds.sql,
		scopes: identity.scopes,
		programs,
		relay: {
			getDocument: () => Promise.reject(new Error('not in this test')),
			getDecisions: () => Promise.reject(new Error('not in this test')),
			refreshSummaries: () => Promise.reject(new Error('not in this test')),
			connections: () => []
		},
		logger,
		refresher: false,
		now: () => ds.now
	});
	await identity.store.people.create(
		blankPerson(
			{
				id: 'coord',
				organizationId: null,
				municipalityId: ds.municipalityId,
				fullName: 'Координатор'
			},
			ds.now
		)
	);
	await identity.store.roles.assign({
		id: 'coordrole',
		personId: 'coord',
		role: 'coordinator',
		organizationId: null,
		municipalityId: ds.municipalityId,
		createdAt: ds.now,
		createdBy: null
	});
	actor = await identity.actorFor('coord');
}, 240_000);

afterAll(async () => {
	await ds.close();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

/** The rows of the table after the heading «6. Программы, требующие внимания», and what follows. */
function attention(preview: PreviewBlock[]): { rows: string[][]; after: string } {
	const at = preview.findIndex((b) => b.kind === 'heading' && b.text.startsWith('6.'));
	const table = preview[at + 1];
	const next = preview[at + 2];
	if (table?.kind !== 'table') throw new Error('no attention table');
	return { rows: table.rows, after: next?.kind === 'para' ? next.text : '' };
}

describe('the preview of a document', () => {
	it('lists the first programs by organization and title, says how many there are, and the handed-in version keeps all', async () => {
		const period = { from: addDays(ds.today, -180), to: ds.today };
		const scope = await curator.resolveScope(actor, {
			kind: 'municipality',
			id: ds.municipalityId
		});
		const live: ScopeDocumentState = await curator.documentState(
			actor,
			scope,
			'analytic-report',
			period
		);
		const shown = attention(live.preview);

		// Hand count: the programs in force in the period (active, or completed in it: every
		// completion of the data set is a curator's early one, four days ago) that the attention
		// list names — reports not submitted on time, or terminated early.
		const orgName = new Map(ds.organizations.map((o) => [o.id, o.name]));
		const listed = ds.truth
			.filter(
				(t) =>
					((t.status === 'active' && t.startDate <= period.to) || t.status === 'completed') &&
					(t.reportsDue > 0 || t.status === 'completed')
			)
			.map((t) => ({
				name: `${t.title} (${orgName.get(t.organizationId) ?? ''})`,
				org: orgName.get(t.organizationId) ?? '',
				title: t.title,
				late: t.reportsDue > 0,
				terminated: t.status === 'completed'
			}))
			.sort((a, b) => byRussian(a.org, b.org) || byRussian(a.title, b.title));
		const rowsOf = (list: typeof listed) => [
			...list.filter((l) => l.late).map((l) => l.name),
			...list.filter((l) => l.terminated).map((l) => l.name)
		];
		expect(listed.length).toBeGreaterThan(PREVIEW_ROWS);
		expect(shown.after).toBe(
			`Показаны первые ${PREVIEW_ROWS} из ${listed.length} программ (по организациям и названиям); полный перечень — в файле документа.`
		);
		// The first programs of the whole list, late ones then terminated ones.
		expect(shown.rows.map((r) => r[0])).toEqual(rowsOf(listed.slice(0, PREVIEW_ROWS)));

		// Handed in, the version keeps every line (the files are made from it); the screen shows
		// the first rows of its table, and says how many it has.
		const handed = await curator.saveDocument(
			actor,
			{ kind: 'municipality', id: ds.municipalityId },
			'analytic-report',
			{ ...period, sections: {}, handIn: true, baseVersion: 0 }
		);
		expect(handed.frozen).toBe(true);
		const frozen = attention(handed.preview);
		const all = rowsOf(listed);
		expect(frozen.rows.map((r) => r[0])).toEqual(all.slice(0, PREVIEW_ROWS));
		expect(frozen.after).toBe(
			`Показаны первые ${PREVIEW_ROWS} строк из ${all.length}; полностью — в файле документа.`
		);
	});
});
