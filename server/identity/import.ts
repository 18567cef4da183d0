/**
 * Import of people and mentoring pairs from CSV or XLSX into one organization's registry.
 * A dry run lists the rows with errors, one line per row, in Russian («Строка 17: не указано ФИО»);
 * the real import adds every valid row in ONE transaction (all of them or none) and skips the
 * rows with errors. docs/identity.md lists the columns.
 */
import { DEFAULT_TIME_ZONE, today } from '../../src/lib/shared/time.js';
import { STAFF_KINDS, STAFF_KIND_LABELS, type StaffKind } from '../../src/lib/shared/figures.js';
import { parse } from 'csv-parse/sync';
// Types only: exceljs (and its zip and CSV libraries) loads on the first spreadsheet read (issue 18: the
// relay's fixed cost).
import type ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { notFound } from './errors.js';
import {
	csvRowsRefused,
	guardCsv,
	guardSpreadsheet,
	MAX_COLUMNS,
	MAX_ROWS
} from './spreadsheet-guard.js';
import { decodeCsv } from './csv-encoding.js';
import {
	DUPLICATE_REASON_LABELS,
	normalizeEmail,
	normalizeName,
	normalizePhone,
	type DuplicateReason,
	type PersonKeys
} from '../../src/lib/shared/duplicates.js';
import type { AgeGroup, AuditInput, Consent, Pair, Person, RoleAssignment } from './model.js';
import type { Actor, OrganizationRole } from './policy.js';
import { newId } from './secrets.js';
import { isMinor, isValidIsoDate, type IdentityService } from './service.js';

export interface ImportRow {
	/** Row number as the user sees it in the spreadsheet (header = 1). */
	line: number;
	values: Record<string, string>;
}

export interface RowError {
	line: number;
	messages: string[];
}

export interface ImportReport {
	total: number;
	valid: number;
	errors: RowError[];
	/** What the import adds (or, in a dry run, would add). */
	adds: { people: number; pairs: number; consents: number };
	/**
	 * Rows that are a person already in the bank (src/lib/shared/duplicates.ts): not added again;
	 * their role and pair are added to the existing record when missing.
	 */
	existing: Array<{ line: number; personId: string; fullName: string; reason: string }>;
	applied: boolean;
}

/** Finds the first earlier entry that is the same person (the rule of src/lib/shared/duplicates.ts). */
class PersonIndex<T> {
	private readonly byName = new Map<string, Array<{ birthDate: string | null; item: T }>>();
	private readonly byEmail = new Map<string, T>();
	private readonly byPhone = new Map<string, T>();

	add(keys: PersonKeys, item: T): void {
		const n = normalizeName(keys.fullName);
		if (n)
			this.byName.set(n, [
				...(this.byName.get(n) ?? []),
				{ birthDate: keys.birthDate ?? null, item }
			]);
		const e = normalizeEmail(keys.email);
		if (e && !this.byEmail.has(e)) this.byEmail.set(e, item);
		const ph = normalizePhone(keys.phone);
		if (ph && !this.byPhone.has(ph)) this.byPhone.set(ph, item);
	}

	find(keys: PersonKeys): { item: T; reason: DuplicateReason } | null {
		const b = keys.birthDate ?? null;
		for (const x of this.byName.get(normalizeName(keys.fullName)) ?? []) {
			if (b && x.birthDate) {
				if (b === x.birthDate) return { item: x.item, reason: 'name-birth' };
			} else return { item: x.item, reason: 'name' };
		}
		const e = normalizeEmail(keys.email);
		const byEmail = e ? this.byEmail.get(e) : undefined;
		if (byEmail !== undefined) return { item: byEmail, reason: 'email' };
		const ph = normalizePhone(keys.phone);
		const byPhone = ph ? this.byPhone.get(ph) : undefined;
		if (byPhone !== undefined) return { item: byPhone, reason: 'phone' };
		return null;
	}
}

/** Column headers (case-insensitive) → field. */
const COLUMNS: Record<string, string> = {
	фио: 'fullName',
	'ф.и.о.': 'fullName',
	роль: 'role',
	должность: 'position',
	организация: 'organization',
	'e-mail': 'email',
	email: 'email',
	'эл. почта': 'email',
	'электронная почта': 'email',
	телефон: 'phone',
	'дата рождения': 'birthDate',
	'возрастная группа': 'ageGroup',
	стаж: 'experience',
	'стаж (лет)': 'experience',
	категория: 'category',
	'кадровая категория': 'staffKind',
	'требования к наставнику выполнены': 'requirements',
	'соответствие требованиям': 'requirements',
	наставник: 'mentor',
	'законный представитель': 'representative',
	'дата согласия': 'consentDate',
	'объём согласия': 'consentScope',
	'объем согласия': 'consentScope'
};

const ROLE_NAMES: Record<string, OrganizationRole> = {
	наставник: 'mentor',
	наставляемый: 'mentee',
	наставляемая: 'mentee',
	куратор: 'curator',
	руководитель: 'head',
	'руководитель оо': 'head'
};

const AGE_GROUPS: Record<string, AgeGroup> = {
	'до 18': 'under-18',
	'до 35': 'under-35',
	'35 и старше': '35-plus',
	'старше 35': '35-plus'
};

const YES = new Set(['да', 'yes', '1', 'true', '+']);
const NO = new Set(['нет', 'no', '0', 'false', '-', '']);

export const DEFAULT_CONSENT_SCOPE =
	'обработка персональных данных для участия в программе наставничества';

// ------------------------------------------------------------------ reading files

/** A file that is not the expected table; `messageRu` says what is wrong (HTTP 400). */
export class ImportFormatError extends Error {
	constructor(readonly messageRu: string) {
		super('import file is not the expected table');
		this.name = 'ImportFormatError';
	}
}

function normalizeHeader(h: string): string {
	return h.replace(/\s+/g, ' ').trim().toLowerCase();
}

function toRows(header: string[], records: Array<{ line: number; cells: string[] }>): ImportRow[] {
	const fields = header.map((h) => COLUMNS[normalizeHeader(h)] ?? null);
	if (!fields.includes('fullName')) {
		// A refusal with a Russian message (the worker pool answers it with 400, not 503).
		const found = header
			.map((h) => h.trim())
			.filter(Boolean)
			.slice(0, 4)
			.map((h) => `«${h.slice(0, 40)}»`)
			.join(', ');
		throw new ImportFormatError(
			`В первой строке файла нет столбца «ФИО»${found ? ` (в ней: ${found})` : ' (она пуста)'}. Первая строка — заголовки столбцов: ФИО, Роль, …`
		);
	}
	return records
		.filter((r) => r.cells.some((c) => c.trim() !== ''))
		.map((r) => {
			const values: Record<string, string> = {};
			fields.forEach((f, i) => {
				if (f) values[f] = (r.cells[i] ?? '').trim();
			});
			return { line: r.line, values };
		});
}

export function readCsv(text: string): ImportRow[] {
	guardCsv(text);
	const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
	const delimiter =
		(firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
	const parsed = parse(text, {
		bom: true,
		delimiter,
		relax_column_count: true,
		// Empty lines are not rows (the line numbers in the report stay the file's own).
		skip_empty_lines: true,
		info: true,
		// The header, MAX_ROWS rows, and one more to tell that there are more: nothing beyond
		// the limit is parsed, and nothing is dropped silently.
		to: MAX_ROWS + 2
	}) as unknown as Array<{ record: string[]; info: { lines: number } }>;
	if (parsed.length > MAX_ROWS + 1) throw csvRowsRefused(parsed.length);
	const [head, ...rest] = parsed;
	if (!head) return [];
	return toRows(
		head.record,
		rest.map((r) => ({ line: r.info.lines, cells: r.record }))
	);
}

function cellText(v: ExcelJS.CellValue): string {
	if (v === null || v === undefined) return '';
	if (v instanceof Date) return v.toISOString().slice(0, 10);
	if (typeof v === 'object') {
		if ('richText' in v) return v.richText.map((t) => t.text).join('');
		if ('text' in v && typeof v.text === 'string') return v.text;
		if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
		return '';
	}
	return String(v);
}

export async function readXlsx(data: Buffer): Promise<ImportRow[]> {
	// Before ExcelJS sees it: it would materialize every cell up to the farthest one named.
	guardSpreadsheet(data);
	const { default: Excel } = await import('exceljs');
	const wb = new Excel.Workbook();
	// exceljs' load() declares its own Buffer type; a Node Buffer is what it reads.
	await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
	const ws = wb.worksheets[0];
	if (!ws) return [];
	const records: Array<{ line: number; cells: string[] }> = [];
	let header: string[] | null = null;
	ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
		const cells: string[] = [];
		const columns = Math.min(ws.columnCount, MAX_COLUMNS);
		for (let c = 1; c <= columns; c++) cells.push(cellText(row.getCell(c).value));
		if (header === null) header = cells;
		else records.push({ line: rowNumber, cells });
	});
	return header ? toRows(header, records) : [];
}

export async function readImportFile(file: string): Promise<ImportRow[]> {
	const ext = path.extname(file).toLowerCase();
	const data = await readFile(file);
	if (ext === '.xlsx') return readXlsx(data);
	if (ext === '.csv' || ext === '.txt') return readCsv(decodeCsv(data).text);
	throw new Error('Поддерживаются файлы .csv и .xlsx');
}

// ------------------------------------------------------------------ validation

/** ДД.ММ.ГГГГ, ГГГГ-ММ-ДД → ГГГГ-ММ-ДД, or null. */
export function parseDate(s: string): string | null {
	let iso: string | null = null;
	const ru = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
	if (ru) iso = `${ru[3]}-${ru[2]?.padStart(2, '0')}-${ru[1]?.padStart(2, '0')}`;
	else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) iso = s;
	return iso && isValidIsoDate(iso) ? iso : null;
}

interface Candidate {
	line: number;
	/** The bank already has this person: nothing inserted, the role and pair go to this record. */
	existing: boolean;
	person: Person;
	role: OrganizationRole;
	mentorName: string | null;
	consent: Omit<Consent, 'id' | 'personId' | 'recordedBy' | 'recordedAt' | 'revokedAt'> | null;
}

/**
 * Validates every row and, unless `dryRun`, adds the valid ones atomically. The actor needs
 * `people.write` on the organization (the curator or an administrator).
 */
export async function importPeople(
	identity: IdentityService,
	actor: Actor,
	organizationId: string,
	rows: ImportRow[],
	opts: { dryRun: boolean }
): Promise<ImportReport> {
	const org = await identity.store.scopes.getOrganization(organizationId);
	if (!org) throw notFound();
	identity.guard(actor, 'people.write', {
		kind: 'organization',
		id: org.id,
		municipalityId: org.municipalityId
	});
	const orgsByName = new Map(
		(await identity.store.scopes.listOrganizations(org.municipalityId)).map((o) => [
			o.name.trim().toLowerCase(),
			o
		])
	);
	const now = identity.now();
	const errors = new Map<number, string[]>();
	const fail = (line: number, message: string) => {
		const list = errors.get(line) ?? [];
		list.push(message);
		errors.set(line, list);
	};
	const candidates: Candidate[] = [];
	const seen = new PersonIndex<number>();
	const bank = new PersonIndex<Person>();
	const existingPeople = await identity.store.people.listByOrganization(org.id);
	for (const p of existingPeople) if (p.active) bank.add(p, p);
	const existingRows: ImportReport['existing'] = [];

	for (const { line, values: v } of rows) {
		const fullName = (v.fullName ?? '').replace(/\s+/g, ' ');
		if (!fullName) fail(line, 'не указано ФИО');
		else if (fullName.length > 300) fail(line, 'ФИО длиннее 300 символов');
		const roleText = (v.role ?? '').toLowerCase();
		const role = ROLE_NAMES[roleText];
		if (!roleText) fail(line, 'не указана роль');
		else if (!role)
			fail(
				line,
				`неизвестная роль «${v.role}» (допустимо: наставник, наставляемый, куратор, руководитель)`
			);
		let personOrg = org;
		if (v.organization) {
			const o = orgsByName.get(v.organization.trim().toLowerCase());
			if (!o) fail(line, `организация «${v.organization}» не найдена в муниципалитете`);
			else if (o.id !== org.id)
				fail(line, `строка относится к другой организации («${v.organization}»)`);
			else personOrg = o;
		}
		const email = v.email || null;
		if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
			fail(line, `некорректный e-mail «${email}»`);
		let birthDate: string | null = null;
		if (v.birthDate) {
			birthDate = parseDate(v.birthDate);
			if (!birthDate || birthDate > today(DEFAULT_TIME_ZONE, now)) {
				fail(line, `некорректная дата рождения «${v.birthDate}» (ожидается ДД.ММ.ГГГГ)`);
				birthDate = null;
			}
		}
		let ageGroup: AgeGroup | null = null;
		if (v.ageGroup) {
			ageGroup = AGE_GROUPS[v.ageGroup.toLowerCase()] ?? null;
			if (!ageGroup)
				fail(
					line,
					`неизвестная возрастная группа «${v.ageGroup}» (допустимо: до 18, до 35, 35 и старше)`
				);
		}
		let experienceYears: number | null = null;
		if (v.experience) {
			experienceYears = Number(v.experience.replace(',', '.'));
			if (!Number.isFinite(experienceYears) || experienceYears < 0 || experienceYears > 80) {
				fail(line, `стаж «${v.experience}» должен быть числом лет от 0 до 80`);
				experienceYears = null;
			}
		}
		// Кадровая категория by its Russian label or its first word («педагогический», «студент»…).
		let staffKind: StaffKind | null = null;
		if (v.staffKind) {
			const k = v.staffKind.trim().toLowerCase();
			staffKind =
				STAFF_KINDS.find(
					(x) => STAFF_KIND_LABELS[x] === k || STAFF_KIND_LABELS[x].split(/[ (]/)[0] === k
				) ?? null;
			if (!staffKind)
				fail(
					line,
					`неизвестная кадровая категория «${v.staffKind}» (допустимо: ${STAFF_KINDS.map((x) => STAFF_KIND_LABELS[x]).join('; ')})`
				);
		}
		let requirements: boolean | null = null;
		if (v.requirements !== undefined) {
			const r = v.requirements.toLowerCase();
			if (YES.has(r)) requirements = true;
			else if (NO.has(r)) requirements = r === '' ? null : false;
			else
				fail(
					line,
					`в столбце требований к наставнику ожидается «да» или «нет», указано «${v.requirements}»`
				);
		}
		let consent: Candidate['consent'] = null;
		if (v.representative || v.consentDate) {
			const givenOn = v.consentDate ? parseDate(v.consentDate) : null;
			if (!v.representative)
				fail(line, 'указана дата согласия, но не указан законный представитель');
			if (!givenOn)
				fail(line, `некорректная дата согласия «${v.consentDate ?? ''}» (ожидается ДД.ММ.ГГГГ)`);
			if (v.representative && givenOn) {
				consent = {
					kind: 'representative',
					validUntil: null,
					representativeName: v.representative,
					representativeRelation: null,
					givenOn,
					scope: v.consentScope || DEFAULT_CONSENT_SCOPE,
					documentRef: null
				};
			}
		}
		const keys: PersonKeys = { fullName, birthDate, email, phone: v.phone || null };
		const again = fullName ? seen.find(keys) : null;
		if (again)
			fail(line, `повторяет строку ${again.item} (${DUPLICATE_REASON_LABELS[again.reason]})`);
		else if (fullName) seen.add(keys, line);

		if (errors.has(line) || !role) continue;
		// The same person already in the bank: not added a second time (issue 16).
		const inBank = bank.find(keys);
		if (inBank) {
			existingRows.push({
				line,
				personId: inBank.item.id,
				fullName: inBank.item.fullName,
				reason: DUPLICATE_REASON_LABELS[inBank.reason]
			});
			candidates.push({
				line,
				existing: true,
				person: inBank.item,
				role,
				mentorName: v.mentor || null,
				consent
			});
			continue;
		}
		const person: Person = {
			id: newId(),
			organizationId: personOrg.id,
			municipalityId: personOrg.municipalityId,
			fullName,
			position: v.position || null,
			email,
			phone: v.phone || null,
			birthDate,
			ageGroup,
			minor: false,
			experienceYears,
			category: v.category || null,
			staffKind,
			mentorRequirements:
				requirements === null
					? null
					: {
							experience5Years: requirements,
							provenResults: requirements,
							positiveAssessment: requirements,
							mentoringCourse: requirements
						},
			notes: null,
			active: true,
			createdAt: now,
			updatedAt: now
		};
		person.minor = isMinor(person, now);
		candidates.push({ line, existing: false, person, role, mentorName: v.mentor || null, consent });
	}

	// Pairs: the mentor is named in the mentee's row; found among this file's valid rows or the registry.
	const existing = existingPeople;
	const pairs: Pair[] = [];
	const badLines = new Set(errors.keys());
	for (const c of candidates) {
		if (!c.mentorName) continue;
		const name = c.mentorName.replace(/\s+/g, ' ').toLowerCase();
		if (c.role !== 'mentee') {
			fail(c.line, 'наставник указывается только в строке наставляемого');
			continue;
		}
		const inFile = candidates.filter(
			(m) => !m.existing && m.role === 'mentor' && m.person.fullName.toLowerCase() === name
		);
		const inBadRows = rows.filter(
			(r) =>
				badLines.has(r.line) &&
				(r.values.fullName ?? '').replace(/\s+/g, ' ').toLowerCase() === name
		);
		const inRegistry = existing.filter((p) => p.fullName.toLowerCase() === name);
		const matches = [...inFile.map((m) => m.person), ...inRegistry];
		if (matches.length === 0) {
			if (inBadRows.length > 0)
				fail(
					c.line,
					`наставник «${c.mentorName}» указан в строке ${inBadRows[0]?.line} с ошибками`
				);
			else
				fail(c.line, `наставник «${c.mentorName}» не найден ни в файле, ни в реестре организации`);
			continue;
		}
		if (matches.length > 1) {
			fail(c.line, `наставник «${c.mentorName}» встречается несколько раз — уточните ФИО`);
			continue;
		}
		if (
			c.person.minor &&
			!c.consent &&
			!(c.existing && (await identity.store.people.hasActiveConsent(c.person.id)))
		) {
			fail(
				c.line,
				'несовершеннолетнего нельзя включить в пару без согласия законного представителя'
			);
			continue;
		}
		const mentor = matches[0] as Person;
		pairs.push({
			id: newId(),
			organizationId: org.id,
			mentorId: mentor.id,
			menteeId: c.person.id,
			programId: null,
			createdAt: now
		});
	}

	const valid = candidates.filter((c) => !errors.has(c.line));
	const validIds = new Set(valid.map((c) => c.person.id));
	const validPairs = pairs.filter((p) => validIds.has(p.menteeId));
	// A pair whose mentor row itself turned out invalid is dropped with its mentee row.
	for (const p of validPairs) {
		if (!validIds.has(p.mentorId) && !existing.some((e) => e.id === p.mentorId)) {
			const mentee = valid.find((c) => c.person.id === p.menteeId);
			if (mentee) fail(mentee.line, 'строка наставника содержит ошибки');
		}
	}
	const finalValid = valid.filter((c) => !errors.has(c.line));
	const finalIds = new Set(finalValid.map((c) => c.person.id));
	const finalPairs = validPairs.filter(
		(p) =>
			finalIds.has(p.menteeId) &&
			(finalIds.has(p.mentorId) || existing.some((e) => e.id === p.mentorId))
	);
	// Rows of people already in the bank add only what the record lacks: the role, the pair, a consent.
	const knownPairs = await identity.store.people.listPairs(org.id);
	const pairsToAdd = finalPairs.filter(
		(p) => !knownPairs.some((k) => k.mentorId === p.mentorId && k.menteeId === p.menteeId)
	);
	const newPeople = finalValid.filter((c) => !c.existing);
	const rolesToAdd: Candidate[] = [];
	for (const c of finalValid) {
		if (!c.existing) rolesToAdd.push(c);
		else if (!(await identity.store.roles.find(c.person.id, c.role, org.id, null)))
			rolesToAdd.push(c);
	}
	const consentFrom: Candidate[] = [];
	for (const c of finalValid) {
		if (!c.consent) continue;
		if (c.existing && (await identity.store.people.hasActiveConsent(c.person.id))) continue;
		consentFrom.push(c);
	}
	const consents: Consent[] = consentFrom.map((c) => ({
		...(c.consent as NonNullable<Candidate['consent']>),
		id: newId(),
		personId: c.person.id,
		recordedBy: actor.personId,
		recordedAt: now,
		revokedAt: null
	}));

	const report: ImportReport = {
		total: rows.length,
		valid: finalValid.length,
		errors: [...errors.entries()]
			.sort((a, b) => a[0] - b[0])
			.map(([line, messages]) => ({ line, messages })),
		adds: { people: newPeople.length, pairs: pairsToAdd.length, consents: consents.length },
		existing: existingRows.filter((e) => !errors.has(e.line)),
		applied: false
	};
	if (
		opts.dryRun ||
		newPeople.length + rolesToAdd.length + pairsToAdd.length + consents.length === 0
	)
		return report;

	const roles: RoleAssignment[] = rolesToAdd.map((c) => ({
		id: newId(),
		personId: c.person.id,
		role: c.role,
		organizationId: org.id,
		municipalityId: null,
		createdAt: now,
		createdBy: actor.personId
	}));
	const audit: AuditInput[] = [
		...newPeople.map((c): AuditInput => ({
			at: now,
			actorId: actor.personId,
			action: 'person.import',
			entityType: 'person',
			entityId: c.person.id,
			organizationId: org.id,
			municipalityId: org.municipalityId,
			details: { role: c.role, line: c.line }
		})),
		...consents.map((c): AuditInput => ({
			at: now,
			actorId: actor.personId,
			action: 'consent.record',
			entityType: 'consent',
			entityId: c.id,
			organizationId: org.id,
			municipalityId: org.municipalityId,
			details: { personId: c.personId, givenOn: c.givenOn, source: 'import' }
		}))
	];
	await identity.store.people.importBatch({
		people: newPeople.map((c) => c.person),
		roles,
		consents,
		pairs: pairsToAdd,
		audit
	});
	report.applied = true;
	return report;
}

/** «Строка 17: не указано ФИО» — one line per bad row. */
export function formatImportErrors(report: ImportReport): string[] {
	return [
		...report.errors.map((e) => `Строка ${e.line}: ${e.messages.join('; ')}`),
		...(report.existing ?? []).map(
			(e) =>
				`Строка ${e.line}: «${e.fullName}» уже есть в банке (${e.reason}) — повторно не добавляется`
		)
	];
}
