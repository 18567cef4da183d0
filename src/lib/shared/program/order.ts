// Fractional order keys: an activity's position is a string compared byte-wise, so moving an
// activity is "set one key" instead of delete + reinsert (which would lose a concurrent edit of
// the moved item and duplicate it under concurrent moves). Equal keys (two people inserting at
// the same spot concurrently) are ordered by id, deterministically on every replica.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const VALID = /^[0-9A-Za-z]{1,64}$/;

/** Keys we generate never end with '0' (so a key strictly between any two always exists). */
export function isOrderKey(v: unknown): v is string {
	return typeof v === 'string' && VALID.test(v) && !v.endsWith('0');
}

function midpoint(a: string, b: string | null): string {
	if (b !== null) {
		let n = 0;
		while ((a[n] ?? '0') === b[n]) n++;
		if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n));
	}
	const da = a ? DIGITS.indexOf(a[0] as string) : 0;
	const db = b !== null ? DIGITS.indexOf(b[0] as string) : DIGITS.length;
	if (db - da > 1) return DIGITS[Math.round((da + db) / 2)] as string;
	if (b !== null && b.length > 1) return b.slice(0, 1);
	return DIGITS[da] + midpoint(a.slice(1), null);
}

/**
 * A key strictly between a and b (null = open end). Invalid or out-of-order neighbours (hostile
 * data, ties from concurrent inserts) degrade to "just after a" rather than throwing.
 */
export function keyBetween(a: string | null, b: string | null): string {
	const lo = isOrderKey(a) ? a : null;
	let hi = isOrderKey(b) ? b : null;
	if (lo !== null && hi !== null && lo >= hi) hi = null;
	return midpoint(lo ?? '', hi);
}

/** n evenly spread keys for a fresh list (templates): short, and room between them. */
export function initialKeys(n: number): string[] {
	const out: string[] = [];
	const width = n < 60 ? 1 : 2;
	const space = DIGITS.length ** width;
	for (let i = 0; i < n; i++) {
		let v = Math.floor(((i + 1) * space) / (n + 1));
		let s = '';
		for (let k = 0; k < width; k++) {
			s = DIGITS[v % DIGITS.length] + s;
			v = Math.floor(v / DIGITS.length);
		}
		s = s.replace(/0+$/, '');
		out.push(s === '' ? '1' : s);
	}
	return out;
}

/**
 * Strings in code-unit order: for ISO dates, timestamps and ids the order wanted, and unlike
 * localeCompare it does not start ICU's collator, whose first call costs a page ~25 ms (the
 * program screen's first render sorted meetings by date with it).
 */
export function compareCodeUnits(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order used by every reader: order key, then id. */
export function compareOrder(
	a: { order: string; id: string },
	b: { order: string; id: string }
): number {
	if (a.order !== b.order) return a.order < b.order ? -1 : 1;
	return compareCodeUnits(a.id, b.id);
}
