/**
 * The management reserve registry's contract (реестр кадрового управленческого резерва, Dinskoy
 * 2021 §5.6): PUT/DELETE /api/people/:id/reserve, GET /api/municipalities/:id/reserve and
 * /api/organizations/:id/reserve. The §5.6 fields: 1) ФИО and 2) место работы, 3) стаж, 7)
 * контактная информация are the person's registry card (people); the entry adds 4) сроки обучения
 * в школе кадрового управленческого резерва, the certificates of course training (4) and of other
 * events (5), and 6) согласие на переезд.
 */
import { Type, type Static } from 'typebox';
import { NullableText, StringEnum } from './common';

export const RELOCATION = ['none', 'municipality', 'region'] as const;
export type Relocation = (typeof RELOCATION)[number];

/** Dinskoy 2021 §5.6 (6): «согласие … на переезд в другую местность (в пределах муниципалитета, в рамках края)». */
export const RELOCATION_LABELS: Record<Relocation, string> = {
	none: 'нет',
	municipality: 'в пределах муниципалитета',
	region: 'в пределах края'
};

/** §5.6 (4): the course programs the regulation names; another may be written out. */
export const RESERVE_COURSES = [
	'Государственное и муниципальное управление',
	'Менеджмент',
	'Управление персоналом'
] as const;

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });
const NullableDate = Type.Union([IsoDate, Type.Null()]);

export const ReserveCertificate = Type.Object(
	{
		/** The course program («Менеджмент» …). */
		course: Type.String({ minLength: 1, maxLength: 300 }),
		/** Number of the certificate (удостоверение). */
		number: Type.String({ maxLength: 100 }),
		issuedOn: NullableDate
	},
	{ additionalProperties: false }
);
export type ReserveCertificate = Static<typeof ReserveCertificate>;

/** PUT /api/people/:id/reserve */
export const ReserveBody = Type.Object(
	{
		trainingFrom: NullableDate,
		trainingTo: NullableDate,
		certificates: Type.Array(ReserveCertificate, { maxItems: 30 }),
		/** §5.6 (5): other events attended during the training (a list, free text). */
		events: NullableText(3000),
		relocation: StringEnum(RELOCATION),
		/** When the person was included in the reserve. */
		includedOn: NullableDate,
		notes: NullableText(2000)
	},
	{ additionalProperties: false }
);
export type ReserveBody = Static<typeof ReserveBody>;

/** One line of the registry: the entry with the person's own fields. */
export interface ReserveEntry extends ReserveBody {
	personId: string;
	fullName: string;
	organizationId: string | null;
	/** Полное название общеобразовательной организации (§5.6 (2)). */
	workplace: string;
	position: string | null;
	experienceYears: number | null;
	email: string | null;
	phone: string | null;
	updatedAt: number;
}
