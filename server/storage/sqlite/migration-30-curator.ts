/**
 * Migration 30 of the SQLite store: the curator tables (docs/curator.md). Shipped text, kept as
 * it was (it moved here from server/curator/schema.ts so that storage imports nothing of the
 * curator).
 *
 * The dashboard must answer for 10,000 programs in well under 100 ms, so it never parses the
 * stored summary JSON per request: the filterable and sortable fields of a summary are real
 * columns of `curator_program_index`. Migration 30 filled them with triggers; migration 31 dropped
 * them, and the document store writes the index row, computed in TypeScript, in the same
 * transaction as the summary (server/storage/curator-index.ts).
 */

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
	INSERT OR REPLACE INTO curator_program_index (
		program_id, organization_id, as_of, computed_at, title, template_id, form, types, category, status,
		stage_phase, stage_index, stage_count, stage_title, stage_kind, stage_end, start_date, end_date,
		progress_done, progress_total, progress_percent, overdue_count, next_deadline,
		reports_expected, reports_due, reports_draft, reports_submitted, reports_accepted, reports_returned,
		next_report_due, meetings_count, last_meeting, mentors, mentees, last_edit_at,
		feedback_count, mentor_avg, mentee_avg, entry_count, exit_count, entry_avg, exit_avg,
		completion_reason, completion_date, changes_pending, curator_comments, problems)
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

export const CURATOR_MIGRATION_30 = `
	-- Filterable / sortable fields of each stored summary (filled by triggers, never by hand).
	CREATE TABLE curator_program_index (
		program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
		organization_id TEXT,
		as_of TEXT NOT NULL,
		computed_at INTEGER NOT NULL,
		title TEXT NOT NULL,
		template_id TEXT,
		form TEXT,
		types TEXT NOT NULL,
		category TEXT,
		status TEXT NOT NULL,
		stage_phase TEXT NOT NULL,
		stage_index INTEGER NOT NULL,
		stage_count INTEGER NOT NULL,
		stage_title TEXT,
		stage_kind TEXT,
		stage_end TEXT,
		start_date TEXT,
		end_date TEXT,
		progress_done INTEGER NOT NULL,
		progress_total INTEGER NOT NULL,
		progress_percent INTEGER NOT NULL,
		overdue_count INTEGER NOT NULL,
		next_deadline TEXT,
		reports_expected INTEGER NOT NULL,
		reports_due INTEGER NOT NULL,
		reports_draft INTEGER NOT NULL,
		reports_submitted INTEGER NOT NULL,
		reports_accepted INTEGER NOT NULL,
		reports_returned INTEGER NOT NULL,
		next_report_due TEXT,
		meetings_count INTEGER NOT NULL,
		last_meeting TEXT,
		mentors INTEGER NOT NULL,
		mentees INTEGER NOT NULL,
		last_edit_at TEXT,
		feedback_count INTEGER NOT NULL,
		mentor_avg REAL,
		mentee_avg REAL,
		entry_count INTEGER NOT NULL,
		exit_count INTEGER NOT NULL,
		entry_avg REAL,
		exit_avg REAL,
		completion_reason TEXT,
		completion_date TEXT,
		changes_pending INTEGER NOT NULL,
		curator_comments INTEGER NOT NULL,
		problems INTEGER NOT NULL,
		-- Device sync facts aggregated (Unix ms; 0 = a participant never seen by the server).
		device_count INTEGER NOT NULL DEFAULT 0,
		pending_devices INTEGER NOT NULL DEFAULT 0,
		min_participant_seen INTEGER NOT NULL DEFAULT 0
	) STRICT;
	CREATE INDEX curator_program_index_by_org ON curator_program_index (organization_id, status);
	CREATE INDEX curator_program_index_by_asof ON curator_program_index (as_of);
	-- Covering index for the facet counts (one narrow scan for all pickers).
	CREATE INDEX curator_program_index_facets ON curator_program_index
		(organization_id, status, stage_phase, stage_kind, form, category, template_id);
	-- Covering index for the totals strip.
	CREATE INDEX curator_program_index_totals ON curator_program_index
		(organization_id, status, overdue_count, reports_expected, reports_due, reports_submitted,
		 reports_accepted, reports_returned, progress_percent, pending_devices, min_participant_seen, as_of,
		 next_deadline, next_report_due, stage_phase, stage_end, start_date);
	-- Title and participants' names, for search (kept apart so scans of the index stay narrow).
	CREATE TABLE curator_program_search (
		program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
		-- folded: lower case, ё → е
		search TEXT NOT NULL
	) STRICT;

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

	-- Registry of successful practices (cases): a completed program marked by a curator, with the
	-- participants' consent; it can be reused as a template.
	CREATE TABLE curator_cases (
		id TEXT PRIMARY KEY,
		program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
		organization_id TEXT,
		title TEXT NOT NULL,
		description TEXT NOT NULL,
		tags TEXT NOT NULL,
		template_id TEXT,
		form TEXT,
		category TEXT,
		consent_mentor INTEGER NOT NULL,
		consent_mentee INTEGER NOT NULL,
		consent_note TEXT,
		snapshot TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		withdrawn_at INTEGER,
		UNIQUE (program_id)
	) STRICT;
	CREATE INDEX curator_cases_by_org ON curator_cases (organization_id);
`;
