// An idempotency key for one creation (POST /api/programs `requestKey`): the same key however
// many times the request is sent (double click, retry), a new one for the next program.
// crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
export function newRequestKey(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
