/**
 * The registry API's contract (/api/municipalities, /api/organizations, /api/people, /api/roles,
 * /api/invitations): roles, and the request bodies as TypeBox schemas the server validates.
 */
import { Type, type Static } from 'typebox';
import { Id, NullableText, StringEnum } from './common';
import { ORG_KINDS } from '../organization';

export const ORGANIZATION_ROLES = ['mentor', 'mentee', 'curator', 'head'] as const;
/**
 * Municipality roles: the coordinator (aggregates), the municipal curator of head mentoring
 * (curates head programs across the municipality's schools, Tomsk 2024 §1.2.4) and the head of
 * the municipal department of education (approves pairs of heads by order, decides on extension
 * or correction of a head's program, Tomsk 2024 §§3.2, 7.2).
 */
export const MUNICIPALITY_ROLES = ['coordinator', 'municipal-curator', 'department-head'] as const;
export const ROLES = [...ORGANIZATION_ROLES, ...MUNICIPALITY_ROLES, 'admin'] as const;
export type Role = (typeof ROLES)[number];

const Name = Type.String({ minLength: 1, maxLength: 300 });

/** An IANA zone ('Asia/Vladivostok'); null = the default. Checked against Intl by the server (Russian error). */
const TimeZone = NullableText(64);

/** POST /api/municipalities */
export const CreateMunicipalityBody = Type.Object(
	{ name: Name, timeZone: Type.Optional(TimeZone) },
	{ additionalProperties: false }
);

/** POST /api/organizations */
export const CreateOrganizationBody = Type.Object(
	{ municipalityId: Id, name: Name, timeZone: Type.Optional(TimeZone) },
	{ additionalProperties: false }
);

/**
 * PATCH /api/municipalities/:id and PATCH /api/organizations/:id: the scope's time zone
 * (null: back to the municipality's, for an organization; to Europe/Moscow, for a municipality).
 */
export const SetTimeZoneBody = Type.Object({ timeZone: TimeZone }, { additionalProperties: false });
export type SetTimeZoneBody = Static<typeof SetTimeZoneBody>;

/** PUT /api/organizations/:id/attributes: kind (ОО / ДОУ / ДО) and ШНОР / ШССУ (the municipal coordinator). */
export const OrgAttributesBody = Type.Object(
	{
		kind: Type.Union([StringEnum(ORG_KINDS), Type.Null()]),
		lowResults: Type.Boolean(),
		hardSocial: Type.Boolean()
	},
	{ additionalProperties: false }
);
export type OrgAttributesBody = Static<typeof OrgAttributesBody>;

/** POST /api/organizations/:id/import: a CSV or XLSX file, base64. */
export const ImportBody = Type.Object(
	{
		fileName: Type.String({ maxLength: 300 }),
		content: Type.String({ maxLength: 8 * 1024 * 1024 }),
		dryRun: Type.Optional(Type.Boolean())
	},
	{ additionalProperties: false }
);

const personFields = {
	position: Type.Optional(NullableText(300)),
	email: Type.Optional(NullableText(300)),
	phone: Type.Optional(NullableText(50)),
	birthDate: Type.Optional(NullableText(10)),
	ageGroup: Type.Optional(
		Type.Unsafe<'under-18' | 'under-35' | '35-plus' | null>({
			type: ['string', 'null'],
			enum: ['under-18', 'under-35', '35-plus', null]
		})
	),
	minor: Type.Optional(Type.Boolean()),
	experienceYears: Type.Optional(
		Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 80 })
	),
	category: Type.Optional(NullableText(300)),
	/** Кадровая категория (src/lib/shared/figures.ts STAFF_KIND_LABELS). */
	staffKind: Type.Optional(
		Type.Unsafe<'pedagogue' | 'head' | 'pupil' | 'student' | 'other' | null>({
			type: ['string', 'null'],
			enum: ['pedagogue', 'head', 'pupil', 'student', 'other', null]
		})
	),
	mentorRequirements: Type.Optional(
		Type.Unsafe<{
			experience5Years?: boolean;
			provenResults?: boolean;
			positiveAssessment?: boolean;
			mentoringCourse?: boolean;
		} | null>({
			type: ['object', 'null'],
			properties: {
				experience5Years: { type: 'boolean' },
				provenResults: { type: 'boolean' },
				positiveAssessment: { type: 'boolean' },
				mentoringCourse: { type: 'boolean' }
			},
			additionalProperties: false
		})
	),
	notes: Type.Optional(NullableText(2000)),
	active: Type.Optional(Type.Boolean())
};

/** POST /api/organizations/:id/people */
export const CreatePersonBody = Type.Object(
	{
		fullName: Name,
		...personFields,
		/** Add even though the bank has the same person (src/lib/shared/duplicates.ts); else 409. */
		allowDuplicate: Type.Optional(Type.Boolean())
	},
	{ additionalProperties: false }
);
export type CreatePersonBody = Static<typeof CreatePersonBody>;

/** PATCH /api/people/:id */
export const UpdatePersonBody = Type.Object(
	{ fullName: Type.Optional(Name), ...personFields },
	{ additionalProperties: false }
);
export type UpdatePersonBody = Static<typeof UpdatePersonBody>;

export const CONSENT_KINDS = ['representative', 'personal-data', 'mentor-duties'] as const;

/**
 * POST /api/people/:id/consents. kind (default representative): a legal representative's consent
 * for a minor (representativeName required), an adult's own personal-data consent, or a mentor's
 * written consent to the duties for two years (Tomsk 2024 §3.4). scope defaults to the kind's text.
 */
export const ConsentBody = Type.Object(
	{
		kind: Type.Optional(StringEnum(CONSENT_KINDS)),
		representativeName: Type.Optional(Name),
		representativeRelation: Type.Optional(NullableText(100)),
		givenOn: Type.String({ maxLength: 10 }),
		scope: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
		documentRef: Type.Optional(NullableText(300))
	},
	{ additionalProperties: false }
);

/** POST /api/people/:id/roles */
export const AssignRoleBody = Type.Object(
	{
		role: StringEnum(ROLES),
		organizationId: Type.Optional(Id),
		municipalityId: Type.Optional(Id)
	},
	{ additionalProperties: false }
);

/** POST /api/invitations */
export const CreateInvitationBody = Type.Object(
	{
		personId: Id,
		role: Type.Optional(StringEnum(ROLES)),
		organizationId: Type.Optional(Id),
		municipalityId: Type.Optional(Id),
		programId: Type.Optional(Id),
		ttlHours: Type.Optional(Type.Number({ minimum: 1, maximum: 24 * 90 }))
	},
	{ additionalProperties: false }
);
