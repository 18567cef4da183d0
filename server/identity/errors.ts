/**
 * An identity failure with an HTTP status, a stable English code (for clients and logs) and a
 * Russian message for users. Never put secrets or facts the caller may not know into either.
 */
export class IdentityError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly messageRu: string,
		readonly details?: Record<string, unknown>
	) {
		super(code);
		this.name = 'IdentityError';
	}
}

export const notFound = () => new IdentityError(404, 'not_found', 'Не найдено');
export const forbidden = () =>
	new IdentityError(403, 'forbidden', 'Недостаточно прав для этого действия');
export const unauthenticated = () =>
	new IdentityError(401, 'unauthenticated', 'Войдите по ссылке-приглашению или с паролем');
export const invalid = (messageRu: string, details?: Record<string, unknown>) =>
	new IdentityError(400, 'invalid_request', messageRu, details);
export const conflict = (code: string, messageRu: string) =>
	new IdentityError(409, code, messageRu);
