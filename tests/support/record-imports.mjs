// Module hooks of tests/support/idle-imports.ts: reports every module the ESM loader resolves.
let port;

export function initialize(data) {
	port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
	const resolved = await nextResolve(specifier, context);
	port.postMessage(resolved.url);
	return resolved;
}
