import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (one object per line) for operators' log shippers.
 * Secrets must never reach a log line: the redaction list covers every place a
 * cookie, token or invitation code can appear in a request or an error.
 */
export const REDACTED_PATHS = [
	'req.headers.cookie',
	'req.headers.authorization',
	'res.headers["set-cookie"]',
	'token',
	'invitationCode',
	'secret',
	'password',
	'*.token',
	'*.invitationCode',
	'*.secret',
	'*.password',
	// Request bodies are never logged; these cover a body passed to a log call by mistake.
	'body.code',
	'body.password',
	'*.body.code'
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
	return pino(
		{
			level,
			base: { service: 'nastavnik' },
			timestamp: pino.stdTimeFunctions.isoTime,
			redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
			formatters: { level: (label) => ({ level: label }) },
			serializers: {
				err: pino.stdSerializers.err,
				// Fastify logs every request: keep the path, never the query string.
				req: (req: { method?: string; url?: string; ip?: string }) => ({
					method: req.method,
					url: safeUrl(req.url),
					ip: req.ip
				})
			}
		},
		destination
	);
}

/** Strips query strings (they may carry `token=` or `code=`) from a URL before it is logged. */
export function safeUrl(url: string | undefined): string {
	if (!url) return '';
	const q = url.indexOf('?');
	return q === -1 ? url : url.slice(0, q) + '?[redacted]';
}
