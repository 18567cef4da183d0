/**
 * Pieces of the HTTP API contract every part uses: ids in paths and bodies, and the error body.
 * Schemas are TypeBox (JSON Schema at runtime, static types at compile time): the server
 * validates requests with them (Fastify's type provider), the PWA types its calls with them.
 */
import { Type, type Static, type TString } from 'typebox';

/** An id in a path or body: random, URL-safe. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** Path parameters that are all ids, e.g. `paramsOf('id', 'personId')`. */
export function paramsOf<const K extends string>(...names: K[]) {
	const properties = Object.fromEntries(names.map((n) => [n, Id])) as Record<K, TString>;
	return Type.Object(properties, { additionalProperties: false });
}

export const IdParams = paramsOf('id');
export type IdParams = Static<typeof IdParams>;

/** Every refusal and failure: a stable English code and a Russian message for the user. */
export interface ApiErrorBody {
	error: string;
	message: string;
}

/** `{ ok: true }`: the answer of deletions and other acts with nothing to return. */
export const OkResponse = Type.Object({ ok: Type.Literal(true) });
export type OkResponse = Static<typeof OkResponse>;

/**
 * A string out of a fixed list, as JSON Schema's `enum` (the shape the API always validated;
 * TypeBox's literal unions would become `anyOf`, with other error paths).
 */
export function StringEnum<const T extends readonly string[]>(values: T) {
	return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

/** Text or null up to `max` characters (`type: ['string', 'null']`, as before the contract). */
export function NullableText(max: number) {
	return Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: max });
}
