/**
 * Route schemas compiled on a route's first request instead of at start (issue 18: the relay's
 * fixed cost). Fastify compiles every route's validator (Ajv) and response serializer
 * (fast-json-stringify, with an Ajv instance of its own for each response holding a union) when
 * the server starts: generated code and compiler state for well over a hundred schemas, which a
 * relay-only server — phones syncing, nobody signing in — never uses.
 *
 * The compilers are Fastify's own (`@fastify/ajv-compiler`, `@fastify/fast-json-stringify-compiler`,
 * resolved from Fastify's directory: the versions it was released with), with the options it
 * would give them, so validation, coercion, defaults and serialization are unchanged; only the
 * moment they run moves. The price: a schema Ajv cannot compile fails that route's first request
 * (500) instead of the start — the API tests call every route.
 */
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import { createRequire } from 'node:module';

/*
 * The shapes Fastify calls (fastify/lib/validation.js, schemas.js): a validator is called with the
 * data and, after `false`, read for `errors`; a serializer turns data into a string. Fastify's
 * option types spell them through Ajv's and fast-json-stringify's own declarations (JTD overloads
 * included), which a wrapper cannot satisfy without pretending to be Ajv: these are the parts used.
 */
interface Validate {
	(data: unknown): unknown;
	errors?: unknown[] | null;
}
/** What Fastify tells a compiler of a route's schema: the schema, method, url, part or status. */
type RouteSchema = Parameters<FastifySchemaCompiler<unknown>>[0];
type ValidatorBuilder = (
	externalSchemas: unknown,
	ajvOptions: unknown
) => (route: RouteSchema) => Validate;
type SerializerBuilder = (
	externalSchemas: unknown,
	serializerOptions: unknown
) => (route: RouteSchema) => (data: unknown) => string;

const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

/**
 * Fastify's `schemaController` option: its default compilers, each schema compiled when first
 * used. The compilers themselves (the Ajv instance with its formats) are made on first use too.
 */
export function lazySchemaController(): NonNullable<FastifyServerOptions['schemaController']> {
	// What Fastify itself does when no compilersFactory is given (fastify/lib/schema-controller.js),
	// on first use: Ajv and fast-json-stringify's compiler are not even loaded before.
	let validators: ValidatorBuilder | null = null;
	let serializers: SerializerBuilder | null = null;
	const defaultValidators: ValidatorBuilder = (externalSchemas, ajvOptions) =>
		(validators ??= (fromFastify('@fastify/ajv-compiler') as () => ValidatorBuilder)())(
			externalSchemas,
			ajvOptions
		);
	const defaultSerializers: SerializerBuilder = (externalSchemas, serializerOptions) =>
		(serializers ??= (
			fromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerBuilder
		)())(externalSchemas, serializerOptions);

	const buildValidator: ValidatorBuilder = (externalSchemas, ajvOptions) => {
		let compile: ReturnType<ValidatorBuilder> | null = null;
		return (route) => {
			let validate: Validate | null = null;
			const lazy: Validate = (data) => {
				compile ??= defaultValidators(externalSchemas, ajvOptions);
				validate ??= compile(route);
				const result = validate(data);
				lazy.errors = validate.errors ?? null;
				return result;
			};
			return lazy;
		};
	};
	const buildSerializer: SerializerBuilder = (externalSchemas, serializerOptions) => {
		let compile: ReturnType<SerializerBuilder> | null = null;
		return (route) => {
			let serialize: ((data: unknown) => string) | null = null;
			return (data) => {
				compile ??= defaultSerializers(externalSchemas, serializerOptions);
				serialize ??= compile(route);
				return serialize(data);
			};
		};
	};
	// The runtime shapes above are what Fastify calls; its declared types are the compilers' own.
	return { compilersFactory: { buildValidator, buildSerializer } } as unknown as NonNullable<
		FastifyServerOptions['schemaController']
	>;
}
