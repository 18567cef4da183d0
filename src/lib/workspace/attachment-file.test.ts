// What the phone decides about a chosen file before the worker runs.
import { describe, expect, it } from 'vitest';
import { cleanName, fitWithin, formatSize, jpegName, judgeFile } from './attachment-file';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('a chosen file', () => {
	it('is typed by its MIME type, else by its extension (Android reports a DOCX as "")', () => {
		expect(judgeFile('План.docx', DOCX, 10)).toEqual({ ok: true, type: DOCX, kind: 'document' });
		expect(judgeFile('План.DOCX', '', 10)).toEqual({ ok: true, type: DOCX, kind: 'document' });
		expect(judgeFile('фото.jpeg', 'application/octet-stream', 10)).toMatchObject({
			type: 'image/jpeg',
			kind: 'image'
		});
		// HEIC from an iPhone is re-encoded as JPEG on the device.
		expect(judgeFile('IMG_0001.HEIC', 'image/heic', 10)).toMatchObject({ ok: true, kind: 'image' });
	});

	it('is refused in Russian when its type is not accepted, whatever its name says', () => {
		for (const [name, mime] of [
			['страница.html', 'text/html'],
			['рисунок.svg', 'image/svg+xml'],
			['фото.jpg', 'text/html'],
			['архив.zip', 'application/zip'],
			['программа.exe', '']
		] as const)
			expect(judgeFile(name, mime, 10)).toMatchObject({
				ok: false,
				messageRu: expect.stringContaining('Такой тип файла не принимается')
			});
		expect(judgeFile('пусто.pdf', 'application/pdf', 0)).toEqual({
			ok: false,
			messageRu: 'Файл пустой.'
		});
	});

	it('a document over 25 MB is refused; a photo is judged after downscaling (only absurd originals refused)', () => {
		expect(judgeFile('Большой.pdf', 'application/pdf', 26 * 1024 * 1024)).toEqual({
			ok: false,
			messageRu: 'Файл слишком большой: не более 25 МБ.'
		});
		expect(judgeFile('фото.jpg', 'image/jpeg', 14 * 1024 * 1024)).toMatchObject({ ok: true });
		expect(judgeFile('фото.jpg', 'image/jpeg', 61 * 1024 * 1024)).toMatchObject({ ok: false });
	});

	it('names: a photo becomes .jpg, paths and control characters go', () => {
		expect(jpegName('IMG_0001.HEIC')).toBe('IMG_0001.jpg');
		expect(jpegName('.png')).toBe('Фото.jpg');
		expect(cleanName('C:\\Users\\Маша\\отчёт\u0007.pdf')).toBe('отчёт.pdf');
		expect(cleanName('   ')).toBe('Файл');
	});

	it('sizes read as a person reads them, and a photo fits 2048 px on its longer side', () => {
		expect([900, 45_000, 5 * 1024 * 1024 + 300_000, 12 * 1024 * 1024].map(formatSize)).toEqual([
			'900 Б',
			'44 КБ',
			'5,3 МБ',
			'12 МБ'
		]);
		expect(fitWithin(4032, 3024, 2048)).toEqual({ width: 2048, height: 1536 });
		expect(fitWithin(3024, 4032, 2048)).toEqual({ width: 1536, height: 2048 });
		expect(fitWithin(800, 600, 2048)).toEqual({ width: 800, height: 600 });
	});
});
