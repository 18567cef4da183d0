/**
 * Text as XML 1.0 can hold it. DOCX and XLSX are XML inside a zip, and a title carrying U+FFFE
 * (or a control character, or half of a surrogate pair) made organization-wide exports
 * unreadable in Word and Excel (issue #14); PDF text and file names get the same treatment so
 * every export path shows the same text. Stripped, not escaped: XML 1.0 has no escape for them.
 */

/** Characters XML 1.0 cannot hold: C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates. */
const NOT_XML =
	// eslint-disable-next-line no-control-regex -- the control characters are what it matches
	/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function exportSafe(s: string): string {
	return s.replace(NOT_XML, '');
}

/** A copy of plain data (objects, arrays) with every string made export-safe. */
export function exportSafeDeep<T>(value: T): T {
	if (typeof value === 'string') return exportSafe(value) as T;
	if (Array.isArray(value)) return value.map((v: unknown) => exportSafeDeep(v)) as T;
	if (
		value !== null &&
		typeof value === 'object' &&
		Object.getPrototypeOf(value) === Object.prototype
	) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = exportSafeDeep(v);
		return out as T;
	}
	return value;
}
