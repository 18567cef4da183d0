// Draws the app icons (a white «Н» on the brand colour) as PNG files in static/icons.
// Kept as a script so the icons can be regenerated without an image editor; the PNGs are committed.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

const BRAND = [0x0f, 0x5c, 0x55];
const WHITE = [0xff, 0xff, 0xff];

const crcTable = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
const crc32 = (buf) => {
	let c = 0xffffffff;
	for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([len, body, crc]);
};

/** @param {number} size @param {{ rounded: boolean, glyphScale: number }} opts */
function icon(size, { rounded, glyphScale }) {
	const raw = Buffer.alloc((size * 4 + 1) * size);
	const radius = rounded ? size * 0.18 : 0;
	// The «Н» glyph, in units of the glyph box (0..1).
	const g = size * glyphScale;
	const gx = (size - g) / 2;
	const gy = (size - g) / 2;
	const inGlyph = (x, y) => {
		const u = (x - gx) / g;
		const v = (y - gy) / g;
		if (u < 0.12 || u > 0.88 || v < 0.1 || v > 0.9) return false;
		const stem = u < 0.32 || u > 0.68;
		const bar = v > 0.43 && v < 0.59;
		return stem || bar;
	};
	const inShape = (x, y) => {
		if (!radius) return true;
		const cx = Math.min(Math.max(x, radius), size - radius);
		const cy = Math.min(Math.max(y, radius), size - radius);
		return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
	};
	for (let y = 0; y < size; y++) {
		const row = y * (size * 4 + 1);
		raw[row] = 0;
		for (let x = 0; x < size; x++) {
			const o = row + 1 + x * 4;
			const px = x + 0.5;
			const py = y + 0.5;
			if (!inShape(px, py)) continue; // transparent corner
			const [r, gg, b] = inGlyph(px, py) ? WHITE : BRAND;
			raw[o] = r;
			raw[o + 1] = gg;
			raw[o + 2] = b;
			raw[o + 3] = 255;
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(size, 0);
	ihdr.writeUInt32BE(size, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 6; // RGBA
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw, { level: 9 })),
		chunk('IEND', Buffer.alloc(0))
	]);
}

mkdirSync('static/icons', { recursive: true });
writeFileSync('static/icons/icon-192.png', icon(192, { rounded: true, glyphScale: 0.62 }));
writeFileSync('static/icons/icon-512.png', icon(512, { rounded: true, glyphScale: 0.62 }));
// Maskable: full-bleed background, glyph inside the 80 % safe zone.
writeFileSync('static/icons/icon-maskable-512.png', icon(512, { rounded: false, glyphScale: 0.5 }));
writeFileSync('static/icons/apple-touch-icon.png', icon(180, { rounded: false, glyphScale: 0.6 }));
writeFileSync('static/favicon.png', icon(48, { rounded: true, glyphScale: 0.7 }));
console.log('icons written to static/icons');
