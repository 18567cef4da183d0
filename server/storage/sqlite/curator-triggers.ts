/**
 * The SQLite statements of migrations 30 and 31 (server/storage/migrations/index.ts): the triggers
 * that filled the curator index from the summaries and the device facts, and their removal. Shipped
 * text, kept as it was; the tables they fill are defined once, in server/storage/migrations/schema.ts.
 * Migration 31 dropped the triggers: the document store writes the index row, computed in
 * TypeScript, in the same transaction as the summary (server/storage/curator-index.ts).
 */
import { CURATOR_INDEX_SUMMARY_COLUMNS } from '../migrations/schema.js';

/** Refreshes the sync aggregate columns of program `pid` (an SQL expression) in the index row. */
const syncAggregate = (pid: string) => `
	UPDATE curator_program_index SET
		device_count = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = ${pid}),
		pending_devices = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = ${pid} AND d.pending > 0),
		min_participant_seen = coalesce((SELECT min(coalesce((
				SELECT max(max(coalesce(d.last_connected_at, 0), coalesce(d.last_update_at, 0),
					coalesce(d.last_in_sync_at, 0), coalesce(d.pending_reported_at, 0)))
				FROM program_device_sync d
				WHERE d.program_id = ${pid} AND d.user_id = json_extract(p.value, '$.userId')), 0))
			FROM program_summaries s, json_each(s.summary, '$.participants') p
			WHERE s.program_id = ${pid}
				AND json_extract(p.value, '$.role') IN ('mentor', 'mentee')
				AND json_extract(p.value, '$.userId') IS NOT NULL), 0)
	WHERE program_id = ${pid};
`;

/** lower() for Cyrillic too (SQLite folds ASCII only), and ё → е: applied once, when indexing. */
const UPPER = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ';
const foldSql = (expr: string): string => {
	let out = `lower(${expr})`;
	for (const ch of UPPER)
		out = `replace(${out}, '${ch}', '${ch === 'Ё' ? 'е' : ch.toLowerCase()}')`;
	return `replace(${out}, 'ё', 'е')`;
};

const indexSummary = `
	INSERT OR REPLACE INTO curator_program_index (${CURATOR_INDEX_SUMMARY_COLUMNS})
	SELECT NEW.program_id,
		(SELECT organization_id FROM programs WHERE id = NEW.program_id),
		coalesce(json_extract(s, '$.asOf'), ''),
		NEW.computed_at,
		coalesce(json_extract(s, '$.title'), ''),
		json_extract(s, '$.templateId'),
		json_extract(s, '$.form'),
		',' || coalesce((SELECT group_concat(value, ',') FROM json_each(s, '$.types')), '') || ',',
		json_extract(s, '$.menteeCategory'),
		coalesce(json_extract(s, '$.status'), 'draft'),
		coalesce(json_extract(s, '$.stage.phase'), 'unscheduled'),
		coalesce(json_extract(s, '$.stage.index'), -1),
		coalesce(json_extract(s, '$.stage.count'), 0),
		json_extract(s, '$.stage.title'),
		json_extract(s, '$.stage.kind'),
		json_extract(s, '$.stage.end'),
		json_extract(s, '$.startDate'),
		json_extract(s, '$.endDate'),
		coalesce(json_extract(s, '$.progress.done'), 0),
		coalesce(json_extract(s, '$.progress.total'), 0),
		coalesce(json_extract(s, '$.progress.percent'), 0),
		coalesce(json_extract(s, '$.overdue.count'), 0),
		json_extract(s, '$.nextDeadline.date'),
		coalesce(json_extract(s, '$.reports.expected'), 0),
		coalesce(json_extract(s, '$.reports.due'), 0),
		coalesce(json_extract(s, '$.reports.draft'), 0),
		coalesce(json_extract(s, '$.reports.submitted'), 0),
		coalesce(json_extract(s, '$.reports.accepted'), 0),
		coalesce(json_extract(s, '$.reports.returned'), 0),
		json_extract(s, '$.reports.nextDueDate'),
		coalesce(json_extract(s, '$.meetings.count'), 0),
		json_extract(s, '$.meetings.lastDate'),
		coalesce(json_extract(s, '$.mentors'), 0),
		coalesce(json_extract(s, '$.mentees'), 0),
		(SELECT max(value) FROM json_each(s, '$.lastEdits')),
		coalesce(json_extract(s, '$.feedback.count'), 0),
		json_extract(s, '$.feedback.mentorAvg'),
		json_extract(s, '$.feedback.menteeAvg'),
		coalesce(json_extract(s, '$.assessment.entryCount'), 0),
		coalesce(json_extract(s, '$.assessment.exitCount'), 0),
		json_extract(s, '$.assessment.entryAvg'),
		json_extract(s, '$.assessment.exitAvg'),
		json_extract(s, '$.completion.reason'),
		json_extract(s, '$.completion.date'),
		coalesce(json_extract(s, '$.changeRequests.pending'), 0),
		coalesce(json_extract(s, '$.curatorComments'), 0),
		coalesce(json_array_length(s, '$.problems'), 0)
	FROM (SELECT CASE WHEN json_valid(NEW.summary) THEN NEW.summary ELSE '{}' END AS s);
	INSERT OR REPLACE INTO curator_program_search (program_id, search)
	SELECT NEW.program_id, ${foldSql(`coalesce(json_extract(s, '$.title'), '') || ' ' ||
			coalesce((SELECT group_concat(json_extract(value, '$.name'), ' ') FROM json_each(s, '$.participants')), '')`)}
	FROM (SELECT CASE WHEN json_valid(NEW.summary) THEN NEW.summary ELSE '{}' END AS s);
`;

/** Migration 30, between the curator index tables and the cases registry. */
export const CURATOR_INDEX_TRIGGERS = `
	CREATE TRIGGER curator_index_summary_insert AFTER INSERT ON program_summaries BEGIN
		${indexSummary}
		${syncAggregate('NEW.program_id')}
	END;
	CREATE TRIGGER curator_index_summary_update AFTER UPDATE ON program_summaries BEGIN
		${indexSummary}
		${syncAggregate('NEW.program_id')}
	END;
	CREATE TRIGGER curator_sync_insert AFTER INSERT ON program_device_sync BEGIN
		${syncAggregate('NEW.program_id')}
	END;
	CREATE TRIGGER curator_sync_update AFTER UPDATE ON program_device_sync BEGIN
		${syncAggregate('NEW.program_id')}
	END;
	CREATE TRIGGER curator_program_org AFTER UPDATE OF organization_id ON programs BEGIN
		UPDATE curator_program_index SET organization_id = NEW.organization_id WHERE program_id = NEW.id;
	END;

	-- Summaries stored before this migration.
	UPDATE program_summaries SET summary = summary;
`;

/** Migration 31, first. */
export const DROP_CURATOR_INDEX_TRIGGERS = `
	DROP TRIGGER curator_index_summary_insert;
	DROP TRIGGER curator_index_summary_update;
	DROP TRIGGER curator_sync_insert;
	DROP TRIGGER curator_sync_update;
	DROP TRIGGER curator_program_org;
`;
