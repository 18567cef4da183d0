/** Reading the generated DOCX / XLSX files in tests, with the server's own zip reader. */
import { readZipEntryData, zipEntries } from '../../server/zip-reader';

/** One entry of a ZIP archive (DOCX / XLSX) as text, or null when there is none. */
export function readZipEntry(zip: Buffer, name: string): string | null {
	for (const entry of zipEntries(zip))
		if (entry.name === name) return readZipEntryData(zip, entry).toString('utf8');
	return null;
}

/** Text of a DOCX (word/document.xml without tags; paragraphs on separate lines). */
export function docxText(docx: Buffer): string {
	const xml = readZipEntry(docx, 'word/document.xml');
	if (xml === null) throw new Error('no word/document.xml');
	return xml
		.replace(/<\/w:p>/g, '\n')
		.replace(/<w:tab\/>/g, '\t')
		.replace(/<[^>]+>/g, '')
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&amp;/g, '&');
}
