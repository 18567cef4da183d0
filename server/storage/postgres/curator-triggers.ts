/**
 * The PostgreSQL statements of migrations 30 and 31 (server/storage/migrations/index.ts): the
 * PL/pgSQL functions and triggers that maintained the curator index (the same as the SQLite
 * triggers of sqlite/curator-triggers.ts), and their removal. Shipped text, kept as it was; the
 * tables they fill are defined once, in server/storage/migrations/schema.ts. `instr()` stays after
 * 31: the portable curator queries use it.
 */
import { CURATOR_INDEX_SUMMARY_COLUMNS } from '../migrations/schema.js';

// SQLite's lower() folds ASCII only; the SQLite index also folds Cyrillic explicitly. translate()
// does exactly that here, whatever the database's locale, so both indexes hold the same text.
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ';
const LOWER = UPPER.toLowerCase();

const excluded = CURATOR_INDEX_SUMMARY_COLUMNS.split(',')
	.map((c) => c.trim())
	.filter((c) => c !== 'program_id')
	.map((c) => `${c} = EXCLUDED.${c}`)
	.join(', ');

/** Migration 30, between the curator index tables and the cases registry. */
export const CURATOR_INDEX_TRIGGERS = `
	-- SQLite's instr(), used by the portable curator queries.
	CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER
		LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT strpos(haystack, needle) $$;
	-- Case folding of ASCII and Cyrillic, then ё → е: the same text as the SQLite index.
	CREATE FUNCTION curator_fold(t TEXT) RETURNS TEXT
		LANGUAGE sql IMMUTABLE STRICT AS $$
			SELECT replace(translate(t, '${UPPER}', '${LOWER}'), 'ё', 'е') $$;
	-- json_valid(x) ? x : '{}' of the SQLite triggers.
	CREATE FUNCTION curator_json(t TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
		BEGIN
			RETURN coalesce(t::jsonb, '{}'::jsonb);
		EXCEPTION WHEN others THEN
			RETURN '{}'::jsonb;
		END $$;
	CREATE FUNCTION curator_num(v JSONB) RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE AS $$
		SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::double precision END $$;
	CREATE FUNCTION curator_int(v JSONB) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
		SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN round((v #>> '{}')::numeric)::bigint END $$;
	CREATE FUNCTION curator_arr(v JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
		SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END $$;

	CREATE FUNCTION curator_sync_aggregate(pid TEXT) RETURNS void LANGUAGE sql AS $$
		UPDATE curator_program_index SET
			device_count = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = pid),
			pending_devices = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = pid AND d.pending > 0),
			min_participant_seen = coalesce((SELECT min(coalesce((
					SELECT max(greatest(coalesce(d.last_connected_at, 0), coalesce(d.last_update_at, 0),
						coalesce(d.last_in_sync_at, 0), coalesce(d.pending_reported_at, 0)))
					FROM program_device_sync d
					WHERE d.program_id = pid AND d.user_id = p.value ->> 'userId'), 0))
				FROM program_summaries s,
					jsonb_array_elements(curator_arr(curator_json(s.summary) -> 'participants')) p
				WHERE s.program_id = pid
					AND p.value ->> 'role' IN ('mentor', 'mentee')
					AND p.value ->> 'userId' IS NOT NULL), 0)
		WHERE program_id = pid;
	$$;

	CREATE FUNCTION curator_index_summary() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE s JSONB := curator_json(NEW.summary);
		BEGIN
			INSERT INTO curator_program_index (${CURATOR_INDEX_SUMMARY_COLUMNS})
			SELECT NEW.program_id,
				(SELECT organization_id FROM programs WHERE id = NEW.program_id),
				coalesce(s ->> 'asOf', ''),
				NEW.computed_at,
				coalesce(s ->> 'title', ''),
				s ->> 'templateId',
				s ->> 'form',
				',' || coalesce((SELECT string_agg(t.value #>> '{}', ',' ORDER BY t.n)
					FROM jsonb_array_elements(curator_arr(s -> 'types')) WITH ORDINALITY AS t(value, n)), '') || ',',
				s ->> 'menteeCategory',
				coalesce(s ->> 'status', 'draft'),
				coalesce(s #>> '{stage,phase}', 'unscheduled'),
				coalesce(curator_int(s #> '{stage,index}'), -1),
				coalesce(curator_int(s #> '{stage,count}'), 0),
				s #>> '{stage,title}',
				s #>> '{stage,kind}',
				s #>> '{stage,end}',
				s ->> 'startDate',
				s ->> 'endDate',
				coalesce(curator_int(s #> '{progress,done}'), 0),
				coalesce(curator_int(s #> '{progress,total}'), 0),
				coalesce(curator_int(s #> '{progress,percent}'), 0),
				coalesce(curator_int(s #> '{overdue,count}'), 0),
				s #>> '{nextDeadline,date}',
				coalesce(curator_int(s #> '{reports,expected}'), 0),
				coalesce(curator_int(s #> '{reports,due}'), 0),
				coalesce(curator_int(s #> '{reports,draft}'), 0),
				coalesce(curator_int(s #> '{reports,submitted}'), 0),
				coalesce(curator_int(s #> '{reports,accepted}'), 0),
				coalesce(curator_int(s #> '{reports,returned}'), 0),
				s #>> '{reports,nextDueDate}',
				coalesce(curator_int(s #> '{meetings,count}'), 0),
				s #>> '{meetings,lastDate}',
				coalesce(curator_int(s -> 'mentors'), 0),
				coalesce(curator_int(s -> 'mentees'), 0),
				(SELECT max(e.value COLLATE "C") FROM jsonb_each_text(
					CASE WHEN jsonb_typeof(s -> 'lastEdits') = 'object' THEN s -> 'lastEdits' ELSE '{}'::jsonb END) e),
				coalesce(curator_int(s #> '{feedback,count}'), 0),
				curator_num(s #> '{feedback,mentorAvg}'),
				curator_num(s #> '{feedback,menteeAvg}'),
				coalesce(curator_int(s #> '{assessment,entryCount}'), 0),
				coalesce(curator_int(s #> '{assessment,exitCount}'), 0),
				curator_num(s #> '{assessment,entryAvg}'),
				curator_num(s #> '{assessment,exitAvg}'),
				s #>> '{completion,reason}',
				s #>> '{completion,date}',
				coalesce(curator_int(s #> '{changeRequests,pending}'), 0),
				coalesce(curator_int(s -> 'curatorComments'), 0),
				jsonb_array_length(curator_arr(s -> 'problems'))
			ON CONFLICT (program_id) DO UPDATE SET ${excluded};
			INSERT INTO curator_program_search (program_id, search)
			VALUES (NEW.program_id, curator_fold(coalesce(s ->> 'title', '') || ' ' ||
				coalesce((SELECT string_agg(p.value ->> 'name', ' ' ORDER BY p.n)
					FROM jsonb_array_elements(curator_arr(s -> 'participants')) WITH ORDINALITY AS p(value, n)), '')))
			ON CONFLICT (program_id) DO UPDATE SET search = EXCLUDED.search;
			PERFORM curator_sync_aggregate(NEW.program_id);
			RETURN NULL;
		END $$;
	CREATE FUNCTION curator_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM curator_sync_aggregate(NEW.program_id);
			RETURN NULL;
		END $$;
	CREATE FUNCTION curator_program_org() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			UPDATE curator_program_index SET organization_id = NEW.organization_id WHERE program_id = NEW.id;
			RETURN NULL;
		END $$;
	CREATE TRIGGER curator_index_summary AFTER INSERT OR UPDATE ON program_summaries
		FOR EACH ROW EXECUTE FUNCTION curator_index_summary();
	CREATE TRIGGER curator_sync AFTER INSERT OR UPDATE ON program_device_sync
		FOR EACH ROW EXECUTE FUNCTION curator_index_sync();
	CREATE TRIGGER curator_program_org AFTER UPDATE OF organization_id ON programs
		FOR EACH ROW EXECUTE FUNCTION curator_program_org();
`;

/** Migration 31, first. */
export const DROP_CURATOR_INDEX_TRIGGERS = `
	DROP TRIGGER curator_index_summary ON program_summaries;
	DROP TRIGGER curator_sync ON program_device_sync;
	DROP TRIGGER curator_program_org ON programs;
	DROP FUNCTION curator_index_summary();
	DROP FUNCTION curator_index_sync();
	DROP FUNCTION curator_program_org();
	DROP FUNCTION curator_sync_aggregate(TEXT);
	DROP FUNCTION curator_fold(TEXT);
	DROP FUNCTION curator_json(TEXT);
	DROP FUNCTION curator_num(JSONB);
	DROP FUNCTION curator_int(JSONB);
	DROP FUNCTION curator_arr(JSONB);
`;
