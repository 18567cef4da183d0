/**
 * How many times each organization's registry has changed (migration 158), kept by triggers: the
 * version of what the curator's figures read from the registry (server/curator/figures.ts) is
 * then a sum over the scope's few rows here, not sums over its people and a join of its programs'
 * participants on every figure (100–130 ms for a region at 100,000 programs, docs/benchmarks.md).
 *
 * An organization's registry, as the figures read it: its people; its programs (`program_info`);
 * their participants; and the people of other organizations who take part in them. So a person
 * written (added, edited, moved, erased) moves the clock of their organization and of every
 * organization whose programs they are in; a participant or a program written moves its
 * program's organization. The figures only compare the sum with the one they were computed at:
 * it says «changed», never what changed.
 *
 * Counted in place: the registry is written by people (a curator, an import, a merge), a few
 * times a minute in a region, never by the relay's steady writes.
 */

const tick = `ON CONFLICT (organization_id) DO UPDATE SET changes = curator_registry_clock.changes + 1`;

/** The clock of organization `org` (an expression) moved on, when there is one. */
export const tickOrganization = (org: string): string =>
	`INSERT INTO curator_registry_clock (organization_id, changes)
			SELECT ${org}, 1 WHERE ${org} IS NOT NULL ${tick}`;

/** The clocks of the organizations whose programs `program` is (an expression) moved on. */
export const tickProgram = (program: string): string =>
	`INSERT INTO curator_registry_clock (organization_id, changes)
			SELECT pi.organization_id, 1 FROM program_info pi WHERE pi.program_id = ${program} ${tick}`;

/** The clocks of the organizations whose programs person `person` is in moved on. */
export const tickPersonPrograms = (person: string): string =>
	`INSERT INTO curator_registry_clock (organization_id, changes)
			SELECT DISTINCT pi.organization_id, 1 FROM program_participants pp
			JOIN program_info pi ON pi.program_id = pp.program_id WHERE pp.person_id = ${person} ${tick}`;

/** A dialect's row triggers of `table` named `name`, running `step` on the row written (NEW, OLD). */
export type OnWrite = (name: string, table: string, step: (row: 'NEW' | 'OLD') => string) => string;

/** Migration 158's triggers, made by the dialect's `onWrite`. */
export const registryClockTriggers = (onWrite: OnWrite): string => `
	${onWrite(
		'registry_clock_person',
		'people',
		(row) => `${tickOrganization(`${row}.organization_id`)}; ${tickPersonPrograms(`${row}.id`)}`
	)}
	${onWrite('registry_clock_participant', 'program_participants', (row) =>
		tickProgram(`${row}.program_id`)
	)}
	${onWrite('registry_clock_program', 'program_info', (row) =>
		tickOrganization(`${row}.organization_id`)
	)}
`;

/** Migration 158: the table and the dialect's triggers (nothing to fill: no row reads as 0). */
export const registryClockTable = (INT: string, STRICT: string, triggers: string): string => `
			CREATE TABLE curator_registry_clock (
				organization_id TEXT PRIMARY KEY,
				changes ${INT} NOT NULL
			)${STRICT};
			${triggers}
		`;
