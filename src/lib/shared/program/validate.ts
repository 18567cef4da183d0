// Everything written through the API is checked here. Errors carry a Russian message for the
// user (the UI shows .messageRu as is) and an English one for logs.
import { isIsoDate } from './dates';

export type ValidationCode =
	| 'invalid-date'
	| 'invalid-enum'
	| 'too-long'
	| 'empty'
	| 'invalid-number'
	| 'invalid-id'
	| 'not-found'
	| 'forbidden'
	| 'invalid-state'
	| 'schema-too-new';

export class ProgramValidationError extends Error {
	override readonly name = 'ProgramValidationError';
	constructor(
		readonly code: ValidationCode,
		readonly field: string,
		message: string,
		readonly messageRu: string
	) {
		super(message);
	}
}

export const LIMITS = {
	title: 300,
	shortText: 500,
	name: 200,
	/** Free text fields (Y.Text): a mentoring note, not a book. */
	longText: 20_000,
	id: 64,
	listItems: 2000
} as const;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isId(v: unknown): v is string {
	return typeof v === 'string' && ID.test(v);
}

export function checkId(field: string, v: unknown): string {
	if (!isId(v))
		throw new ProgramValidationError(
			'invalid-id',
			field,
			`${field}: invalid id`,
			'Некорректный идентификатор.'
		);
	return v;
}

export function checkDate(field: string, v: unknown): string {
	if (!isIsoDate(v))
		throw new ProgramValidationError(
			'invalid-date',
			field,
			`${field}: expected a calendar date YYYY-MM-DD, got ${JSON.stringify(v)?.slice(0, 40)}`,
			'Укажите дату в формате ГГГГ-ММ-ДД (например, 2025-09-01).'
		);
	return v;
}

export function checkEnum<T extends Record<string, string>>(
	field: string,
	labels: T,
	v: unknown
): keyof T & string {
	if (typeof v !== 'string' || !Object.prototype.hasOwnProperty.call(labels, v))
		throw new ProgramValidationError(
			'invalid-enum',
			field,
			`${field}: unexpected value ${JSON.stringify(v)?.slice(0, 40)}`,
			'Выберите значение из списка.'
		);
	return v as keyof T & string;
}

export function checkText(
	field: string,
	v: unknown,
	max: number,
	opts: { allowEmpty?: boolean } = {}
): string {
	if (typeof v !== 'string')
		throw new ProgramValidationError(
			'empty',
			field,
			`${field}: expected a string`,
			'Заполните поле.'
		);
	const t = v.trim();
	if (!opts.allowEmpty && t === '')
		throw new ProgramValidationError(
			'empty',
			field,
			`${field}: must not be empty`,
			'Заполните поле.'
		);
	if (v.length > max)
		throw new ProgramValidationError(
			'too-long',
			field,
			`${field}: longer than ${max} characters`,
			`Слишком длинный текст: не более ${max} символов.`
		);
	return opts.allowEmpty ? v : t;
}

export function checkInt(field: string, v: unknown, min: number, max: number): number {
	if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
		throw new ProgramValidationError(
			'invalid-number',
			field,
			`${field}: expected an integer in ${min}..${max}`,
			`Укажите целое число от ${min} до ${max}.`
		);
	return v;
}

export function notFound(field: string, id: string): ProgramValidationError {
	return new ProgramValidationError(
		'not-found',
		field,
		`${field} ${id} not found`,
		'Запись не найдена (возможно, она удалена).'
	);
}

export function forbidden(what: string): ProgramValidationError {
	return new ProgramValidationError(
		'forbidden',
		what,
		`${what}: not allowed for this role`,
		'Это действие недоступно для вашей роли.'
	);
}

export function invalidState(
	field: string,
	message: string,
	messageRu: string
): ProgramValidationError {
	return new ProgramValidationError('invalid-state', field, message, messageRu);
}
