/**
 * The access-token API's contract (GET / DELETE /api/access-tokens, docs/access-tokens.md):
 * recorded standalone relay tokens by id — never the token itself, which is shown once, when an
 * operator mints it (`npm run cli -- token`).
 */
import { Type, type Static } from 'typebox';
import { Id, NullableText, StringEnum } from './common';

/** GET /api/access-tokens?personId=… (default: the signed-in person). */
export const AccessTokensQuery = Type.Object(
	{ personId: Type.Optional(Id) },
	{ additionalProperties: false }
);
export type AccessTokensQuery = Static<typeof AccessTokensQuery>;

export const AccessTokenItem = Type.Object({
	id: Type.String(),
	personId: Type.String(),
	programId: Type.String(),
	access: StringEnum(['rw', 'ro'] as const),
	createdBy: Type.Union([Type.String(), Type.Null()]),
	createdAt: Type.Number(),
	expiresAt: Type.Number(),
	revokedAt: Type.Union([Type.Number(), Type.Null()]),
	revokedReason: NullableText(64),
	/** Not revoked and not expired (the relay also checks the person's current rights). */
	active: Type.Boolean()
});
export type AccessTokenItem = Static<typeof AccessTokenItem>;

export const AccessTokensResponse = Type.Object({ tokens: Type.Array(AccessTokenItem) });
export type AccessTokensResponse = Static<typeof AccessTokensResponse>;
