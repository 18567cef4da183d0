/**
 * The mentors and mentees of each organization's programs, kept by triggers (migration 157):
 * `curator_org_people` holds one row per organization, role and person with how many of the
 * organization's programs link them (the registry's participants of the indexed programs that are
 * not cancelled). The per-organization table counts its rows — each person once however many
 * programs they are in — instead of grouping a region's 200,000 participant links by person on
 * every request (609 ms at 100,000 programs on PostgreSQL, docs/benchmarks.md).
 *
 * What moves a link, each a trigger in the dialect's file (sqlite/ and postgres/curator-counts.ts),
 * in the statement that writes it: a participant added, removed or moved to another person (a
 * merge); a program's index row written (its first summary), deleted or moved to another
 * organization; a program cancelled or its cancellation withdrawn. None fires on the relay's
 * steady writes: an index row's update moves links only when its organization changes.
 *
 * Rows are updated in place (a person's links), not appended as the index counters are: they are
 * written by the registry's and the curator's actions and by a program's first summary, not by
 * every edit, and two writers meet on a row only for the same person of the same organization.
 */

/** The roles counted (a participant's other roles, if any, are not the table's). */
const ROLES = "('mentor', 'mentee')";

const notCancelled = (program: string) =>
	`NOT EXISTS (SELECT 1 FROM program_cancellations c WHERE c.program_id = ${program})`;

const upsertLink = `ON CONFLICT (organization_id, role, person_id)
			DO UPDATE SET links = curator_org_people.links + 1`;

/** Every mentor and mentee of `program` linked once more to `org` (unless it is cancelled, `check`). */
export const linkProgramPeople = (program: string, org: string, check: boolean): string =>
	`INSERT INTO curator_org_people (organization_id, role, person_id, links)
			SELECT ${org}, pp.role, pp.person_id, 1 FROM program_participants pp
			WHERE pp.program_id = ${program} AND pp.role IN ${ROLES} AND ${org} IS NOT NULL
				${check ? `AND ${notCancelled(program)}` : ''}
			${upsertLink}`;

/** Every mentor and mentee of `program` linked once less to `org`; a person left with none goes. */
export const unlinkProgramPeople = (program: string, org: string, check: boolean): string => {
	const theirs = `organization_id = ${org} AND (role, person_id) IN
			(SELECT pp.role, pp.person_id FROM program_participants pp WHERE pp.program_id = ${program})`;
	const live = check ? `AND ${notCancelled(program)}` : '';
	return `UPDATE curator_org_people SET links = links - 1 WHERE ${theirs} ${live};
		DELETE FROM curator_org_people WHERE ${theirs} AND links <= 0`;
};

/** Participant row `row` (NEW) linked to its program's organization, when the program counts. */
const linkParticipant = (row: string): string =>
	`INSERT INTO curator_org_people (organization_id, role, person_id, links)
			SELECT j.organization_id, ${row}.role, ${row}.person_id, 1 FROM curator_program_index j
			WHERE j.program_id = ${row}.program_id AND j.organization_id IS NOT NULL
				AND ${row}.role IN ${ROLES} AND ${notCancelled(`${row}.program_id`)}
			${upsertLink}`;

/** Participant row `row` (OLD) unlinked from its program's organization, when the program counted. */
const unlinkParticipant = (row: string): string => {
	const theirs = `role = ${row}.role AND person_id = ${row}.person_id AND organization_id IN
			(SELECT j.organization_id FROM curator_program_index j WHERE j.program_id = ${row}.program_id)`;
	return `UPDATE curator_org_people SET links = links - 1
			WHERE ${theirs} AND ${notCancelled(`${row}.program_id`)};
		DELETE FROM curator_org_people WHERE ${theirs} AND links <= 0`;
};

/** A participant row written: linked when NEW, unlinked when OLD (the dialects' row triggers). */
export const participantStep = (row: 'NEW' | 'OLD'): string =>
	row === 'NEW' ? linkParticipant(row) : unlinkParticipant(row);

/** An index row written: its program's people linked to its organization (NEW) or unlinked (OLD). */
export const indexRowStep = (row: 'NEW' | 'OLD'): string =>
	row === 'NEW'
		? linkProgramPeople('NEW.program_id', 'NEW.organization_id', true)
		: unlinkProgramPeople('OLD.program_id', 'OLD.organization_id', true);

/**
 * Migration 157: the table, the dialect's triggers (`triggers`), the links of the rows already
 * indexed, then the dialect's statements after the fill (`filled`; PostgreSQL: statistics).
 */
export const curatorOrgPeopleTable = (
	INT: string,
	STRICT: string,
	triggers: string,
	filled: string
): string => `
			CREATE TABLE curator_org_people (
				organization_id TEXT NOT NULL,
				role TEXT NOT NULL,
				person_id TEXT NOT NULL,
				links ${INT} NOT NULL,
				PRIMARY KEY (organization_id, role, person_id)
			)${STRICT};
			${triggers}
			INSERT INTO curator_org_people (organization_id, role, person_id, links)
				SELECT j.organization_id, pp.role, pp.person_id, count(*)
				FROM program_participants pp JOIN curator_program_index j ON j.program_id = pp.program_id
				WHERE pp.role IN ${ROLES} AND j.organization_id IS NOT NULL
					AND ${notCancelled('j.program_id')}
				GROUP BY j.organization_id, pp.role, pp.person_id;
			${filled}
		`;

/**
 * Migration 161: how many rows `curator_org_people` has per organization and role, as appended
 * deltas (+1 when a row comes, -1 when it goes; the dialect's `triggers`), so the per-organization
 * table reads a few rows per organization instead of counting a region's 200,000 people rows on
 * every dashboard request (issue 18: 43–109 ms of the municipality's page at 100,000 programs on
 * PostgreSQL). Appended like the index's counters (curator-counts.ts): two writers adding people
 * to the same organizations never wait for one row, nor deadlock on two; `foldCounts` merges them
 * now and then, and readers sum whatever is there.
 */
export const curatorOrgPeopleCountsTable = (
	INT: string,
	STRICT: string,
	triggers: string
): string => `
			CREATE TABLE curator_org_people_counts (
				organization_id TEXT NOT NULL,
				role TEXT NOT NULL,
				n ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX curator_org_people_counts_by_org ON curator_org_people_counts (organization_id);
			${triggers}
			INSERT INTO curator_org_people_counts (organization_id, role, n)
				SELECT organization_id, role, count(*) FROM curator_org_people GROUP BY organization_id, role;
		`;

/** The row `row` (NEW: +1, OLD: -1) of `curator_org_people` appended to its organization's count. */
export const countOrgPerson = (row: 'NEW' | 'OLD'): string =>
	`INSERT INTO curator_org_people_counts (organization_id, role, n)
			VALUES (${row}.organization_id, ${row}.role, ${row === 'NEW' ? 1 : -1})`;
