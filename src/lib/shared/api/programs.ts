/**
 * The programs API's contract (/api/programs, /api/cases/:id/programs): request bodies as
 * TypeBox schemas (validated by the server), answers as static types (read by the PWA).
 */
import { Type, type Static } from 'typebox';
import { Id, StringEnum } from './common';
import { RequestKey } from './records';

export const ParticipantRoleSchema = StringEnum(['mentor', 'mentee'] as const);
export type ParticipantRole = Static<typeof ParticipantRoleSchema>;

const Participants = Type.Array(
	Type.Object({ personId: Id, role: ParticipantRoleSchema }, { additionalProperties: false }),
	{ minItems: 1, maxItems: 50 }
);

/** POST /api/programs */
export const CreateProgramBody = Type.Object(
	{
		organizationId: Id,
		templateId: Type.String({ maxLength: 64 }),
		title: Type.Optional(Type.String({ maxLength: 300 })),
		startDate: Type.Optional(Type.String({ maxLength: 10 })),
		/**
		 * Term in months, within what the template's regulation allows (templates' `term`:
		 * Surgut 3–12, Tomsk heads 24); default: the template's. Checked with a Russian error.
		 */
		durationMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
		/** Form of mentoring; a learner's program takes one of the learner forms (audience.ts). */
		form: Type.Optional(Type.String({ maxLength: 64 })),
		participants: Participants,
		/** Idempotency: a repeated request with the same key answers with the same program. */
		requestKey: Type.Optional(RequestKey)
	},
	{ additionalProperties: false }
);
export type CreateProgramBody = Static<typeof CreateProgramBody>;

/** POST /api/curator/cases/:id/programs: a practice from the registry reused as the plan. */
export const ProgramFromCaseBody = Type.Object(
	{
		organizationId: Type.String({ maxLength: 64 }),
		title: Type.Optional(Type.String({ maxLength: 300 })),
		startDate: Type.Optional(Type.String({ maxLength: 10 })),
		participants: Type.Array(
			Type.Object(
				{ personId: Type.String({ maxLength: 64 }), role: ParticipantRoleSchema },
				{ additionalProperties: false }
			),
			{ minItems: 1, maxItems: 50 }
		),
		requestKey: Type.Optional(RequestKey)
	},
	{ additionalProperties: false }
);
export type ProgramFromCaseBody = Static<typeof ProgramFromCaseBody>;

/** POST /api/programs/:id/participants */
export const AddParticipantBody = Type.Object(
	{ personId: Id, role: ParticipantRoleSchema },
	{ additionalProperties: false }
);
export type AddParticipantBody = Static<typeof AddParticipantBody>;

const AccessSchema = StringEnum(['rw', 'ro'] as const);

/** One line of GET /api/programs and of `programs` in /api/me. */
export const MyProgramItem = Type.Object({
	id: Type.String(),
	title: Type.String(),
	role: StringEnum(['mentor', 'mentee', 'curator', 'head'] as const),
	access: AccessSchema,
	organizationId: Type.String(),
	/**
	 * Short names («Иванова М. С.») of the program's mentees and mentors, so two programs made from
	 * the same template can be told apart (sent for the programs the person takes part in).
	 */
	mentees: Type.Optional(Type.Array(Type.String())),
	mentors: Type.Optional(Type.Array(Type.String()))
});
export type MyProgramItem = Static<typeof MyProgramItem>;

/** GET /api/programs */
export const MyProgramsResponse = Type.Object({ programs: Type.Array(MyProgramItem) });
export type MyProgramsResponse = Static<typeof MyProgramsResponse>;

/** GET /api/templates: the shipped program templates. */
export const TemplatesResponse = Type.Object({
	templates: Type.Array(
		Type.Object({ id: Type.String(), title: Type.String(), kind: Type.String() })
	)
});
export type TemplatesResponse = Static<typeof TemplatesResponse>;

/** GET /api/programs/:id/access: a short-lived relay token. */
export const ProgramAccessResponse = Type.Object({
	token: Type.String(),
	access: AccessSchema,
	expiresAt: Type.Number(),
	path: Type.String()
});
export type ProgramAccessResponse = Static<typeof ProgramAccessResponse>;
