/**
 * The contract of the scope documents and of the monitoring calendar's configuration
 * (/api/curator/(organizations|municipalities)/:id/documents/…, /municipalities/:id/calendar/config;
 * docs/curator.md «Documents and the calendar»): request bodies as TypeBox schemas (validated by
 * the server), answers as static types (read by the PWA).
 *
 * A document of a scope (organization or municipality), kind and period is written in versions:
 * each save is a new version with its author and time; «Сдать» (hand in) freezes a version with
 * the figures it showed, so it reopens exactly as it was, whatever changed since.
 */
import { Type, type Static } from 'typebox';
import {
	CALENDAR_DOCUMENTS,
	CALENDAR_MEASURES,
	DOCUMENT_PERIODS,
	RESPONSIBLE_PARTIES,
	type CalendarConfig
} from '../calendar';
import { StringEnum } from './common';

export const SCOPE_DOC_KINDS = ['info-note', 'analytic-note', 'analytic-report'] as const;
export type ScopeDocKind = (typeof SCOPE_DOC_KINDS)[number];

export const SCOPE_DOC_TITLES: Record<ScopeDocKind, string> = {
	'info-note': 'Информационная справка',
	'analytic-note': 'Аналитическая справка',
	'analytic-report': 'Аналитический отчет'
};

/** The sections a person writes, per kind (the figures are filled in by the product). */
export const WRITTEN_SECTIONS = {
	'info-note': ['notes'],
	'analytic-note': ['conclusions', 'recommendations', 'decisions'],
	'analytic-report': ['conclusions', 'recommendations', 'decisions']
} as const satisfies Record<ScopeDocKind, readonly string[]>;
export type WrittenSection = 'notes' | 'conclusions' | 'recommendations' | 'decisions';
export const WRITTEN_SECTION_LABELS: Record<WrittenSection, string> = {
	notes: 'Пояснения',
	conclusions: 'Выводы',
	recommendations: 'Рекомендации',
	decisions: 'Управленческие решения'
};

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });
const Section = Type.String({ maxLength: 20_000 });

/** POST …/documents/:docKind — a new version (and, with `handIn`, the handed-in one). */
export const SaveScopeDocumentBody = Type.Object(
	{
		from: Day,
		to: Day,
		sections: Type.Object(
			{
				notes: Type.Optional(Section),
				conclusions: Type.Optional(Section),
				recommendations: Type.Optional(Section),
				decisions: Type.Optional(Section)
			},
			{ additionalProperties: false }
		),
		/** Freeze this version with its figures (the document is handed in). */
		handIn: Type.Optional(Type.Boolean()),
		/** The version the writer started from (0: none): a newer one by someone else is a conflict. */
		baseVersion: Type.Integer({ minimum: 0, maximum: 1_000_000 })
	},
	{ additionalProperties: false }
);
export type SaveScopeDocumentBody = Static<typeof SaveScopeDocumentBody>;

/** What a document shows, block by block (a projection of the server's document model). */
export type PreviewBlock =
	| { kind: 'title' | 'subtitle' | 'heading' | 'para'; text: string }
	| { kind: 'fields'; rows: Array<[string, string]> }
	| { kind: 'table'; headers: string[]; rows: string[][] };

export interface ScopeDocumentVersion {
	version: number;
	authorName: string;
	createdAt: number;
	/** Handed in: frozen with its figures. */
	handedIn: boolean;
}

/** GET …/documents/:docKind?from&to[&version] */
export interface ScopeDocumentState {
	scope: { kind: 'organization' | 'municipality'; id: string; name: string };
	kind: ScopeDocKind;
	title: string;
	period: { from: string; to: string };
	/** Whether the person may write and hand in this document (else: read only). */
	canWrite: boolean;
	/** Newest first. */
	versions: ScopeDocumentVersion[];
	/** The version shown (null: nothing written yet) and its text. */
	version: ScopeDocumentVersion | null;
	sections: Partial<Record<WrittenSection, string>>;
	/** The sections of this kind, in order. */
	sectionKeys: WrittenSection[];
	/** A handed-in version: the figures are those of the moment it was handed in. */
	frozen: boolean;
	/** The document as it reads (figures and text), for the screen. */
	preview: PreviewBlock[];
}

// ------------------------------------------------------------------ the calendar's configuration

const Text = (max: number) => Type.String({ maxLength: max });

export const CalendarItemSchema = Type.Object(
	{
		id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
		title: Type.String({ minLength: 1, maxLength: 500 }),
		month: Type.Integer({ minimum: 1, maximum: 12 }),
		day: Type.Integer({ minimum: 1, maximum: 31 }),
		basis: Text(300),
		responsible: Type.Array(StringEnum(RESPONSIBLE_PARTIES), { maxItems: 4, uniqueItems: true }),
		responsibleOther: Text(300),
		measure: StringEnum(CALENDAR_MEASURES),
		documents: Type.Array(StringEnum(CALENDAR_DOCUMENTS), { maxItems: 6, uniqueItems: true }),
		period: StringEnum(DOCUMENT_PERIODS)
	},
	{ additionalProperties: false }
);

/** PUT /municipalities/:id/calendar/config — a preset, or the items and the body's name. */
export const SaveCalendarBody = Type.Union([
	Type.Object({ preset: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
	Type.Object(
		{
			bodyName: Type.String({ maxLength: 300 }),
			items: Type.Array(CalendarItemSchema, { maxItems: 100 })
		},
		{ additionalProperties: false }
	)
]);
export type SaveCalendarBody = Static<typeof SaveCalendarBody>;

/** GET /(organizations|municipalities)/:id/calendar/config */
export interface CalendarConfigState {
	municipalityId: string;
	config: CalendarConfig;
	/** Set by the coordinator (else the default calendar). */
	configured: boolean;
	presets: Array<{ id: string; label: string }>;
	/** The municipal coordinator may change it. */
	canEdit: boolean;
}
