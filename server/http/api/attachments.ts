import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPES,
	AttachmentChunkQuery,
	AttachmentParams,
	AttachmentUploadBody
} from '../../../src/lib/shared/api/attachments.js';
import { IdParams } from '../../../src/lib/shared/api/common.js';
import type { AttachmentsService } from '../../attachments/service.js';
import { IdentityError } from '../../identity/errors.js';
import { principalOf } from './context.js';

export interface AttachmentRouteDeps {
	attachments: AttachmentsService;
	/** Upload requests (POST and PUT) of one person a minute (rate-limiters.ts). */
	uploadLimiter: RateLimiterAbstract;
}

/**
 * Served bytes are never an active document: the verified type only (never HTML or SVG, which
 * no upload can have), `nosniff`, a CSP that allows nothing to run (`sandbox`, no sources), and a
 * download (`attachment`) for everything but raster images and PDF. Chrome's PDF viewer refuses
 * to render under a `sandbox` policy, so a PDF gets the no-sources policy without it.
 */
export const ATTACHMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
export const PDF_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'";

/** `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): ASCII fallback, then the real name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
	const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_') || 'file';
	const encoded = encodeURIComponent(name).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
	return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

const RATE_MESSAGE =
	'Слишком много загрузок файлов подряд. Подождите минуту — загрузка продолжится';

/** Attachments of a program (server/attachments; the contract: src/lib/shared/api/attachments.ts). */
export function registerAttachmentRoutes(
	app: FastifyInstance,
	{ attachments, uploadLimiter }: AttachmentRouteDeps
): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();

	// A chunk is raw bytes; the API boundary lets this type through only on routes marked `binaryBody`.
	app.addContentTypeParser(
		'application/octet-stream',
		{ parseAs: 'buffer', bodyLimit: ATTACHMENT_LIMITS.chunkBytes },
		(_request, body, done) => done(null, body)
	);

	const limited = async (personId: string, reply: FastifyReply) => {
		try {
			await uploadLimiter.consume(personId);
		} catch (error) {
			if (!(error instanceof RateLimiterRes)) throw error;
			const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
			reply.header('retry-after', String(seconds));
			throw new IdentityError(429, 'too_many_requests', RATE_MESSAGE, {
				retryAfterSeconds: seconds
			});
		}
	};

	api.post(
		'/programs/:id/attachments',
		{ schema: { params: IdParams, body: AttachmentUploadBody } },
		async (request, reply) => {
			const p = principalOf(request);
			await limited(p.actor.personId, reply);
			reply.header('cache-control', 'no-store');
			return attachments.start(p.actor, request.params.id, request.body);
		}
	);

	api.put(
		'/programs/:id/attachments/:hash',
		{
			schema: { params: AttachmentParams, querystring: AttachmentChunkQuery },
			config: { binaryBody: true }
		},
		async (request, reply) => {
			const p = principalOf(request);
			await limited(p.actor.personId, reply);
			reply.header('cache-control', 'no-store');
			const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
			try {
				return await attachments.putChunk(
					p.actor,
					request.params.id,
					request.params.hash,
					request.query.offset,
					body
				);
			} catch (error) {
				// 409: the body is the state, so the phone continues from what the server holds.
				if (error instanceof IdentityError && error.code === 'wrong_offset')
					return reply.code(409).send({
						error: error.code,
						message: error.messageRu,
						...(error.details?.state as object)
					});
				throw error;
			}
		}
	);

	api.get(
		'/programs/:id/attachments/:hash',
		{ schema: { params: AttachmentParams } },
		async (request, reply) => {
			const p = principalOf(request);
			const { hash } = request.params;
			const etag = `"${hash}"`;
			const file = await attachments.open(p.actor, request.params.id, hash);
			const inline =
				ATTACHMENT_TYPES[file.type].kind === 'image' || file.type === 'application/pdf';
			reply
				.header('content-type', file.type)
				.header('content-length', String(file.size))
				.header('x-content-type-options', 'nosniff')
				.header(
					'content-security-policy',
					file.type === 'application/pdf' ? PDF_CSP : ATTACHMENT_CSP
				)
				.header(
					'content-disposition',
					contentDisposition(inline ? 'inline' : 'attachment', file.name)
				)
				.header('cache-control', 'private, max-age=31536000, immutable')
				.header('etag', etag)
				.header('cross-origin-resource-policy', 'same-origin');
			if (request.headers['if-none-match'] === etag) {
				file.body.destroy();
				return reply.code(304).send();
			}
			return reply.send(file.body);
		}
	);
}
