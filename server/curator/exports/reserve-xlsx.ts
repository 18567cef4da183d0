/**
 * The registries of issue 15 in the registries workbook (xlsx.ts): the organizations with their
 * kind and ШНОР / ШССУ marks, and the management reserve with the fields of Dinskoy 2021 §5.6.
 * Dates are Excel dates (a date cell shown as ДД.ММ.ГГГГ), numbers are numbers.
 */
import type ExcelJS from 'exceljs';
import { RELOCATION_LABELS, type ReserveEntry } from '../../../src/lib/shared/api/reserve.js';
import { ORG_KIND_SHORT, type OrgKind } from '../../../src/lib/shared/organization.js';
import { sheet } from './xlsx.js';

export interface RegistryOrganization {
	name: string;
	kind: OrgKind | null;
	lowResults: boolean;
	hardSocial: boolean;
}

const DATE_FORMAT = 'dd.mm.yyyy';

/**
 * Calendar days as Excel dates in these columns: the sheet is written with the cells empty, then
 * each day is set as a Date at UTC midnight (Excel dates carry no zone) with a date format.
 */
function writeDates(
	ws: ExcelJS.Worksheet,
	firstRow: number,
	columns: Array<[number, (r: ReserveEntry) => string | null]>,
	rows: ReserveEntry[]
): void {
	rows.forEach((r, i) => {
		for (const [col, of] of columns) {
			const d = of(r);
			if (!d) continue;
			const cell = ws.getCell(firstRow + i, col);
			cell.value = new Date(`${d}T00:00:00Z`);
			cell.numFmt = DATE_FORMAT;
		}
	});
}

export function addRegistrySheets(
	wb: ExcelJS.Workbook,
	title: string,
	organizations: RegistryOrganization[],
	reserve: ReserveEntry[]
): void {
	sheet(
		wb,
		'Организации',
		`Организации: ${title}`,
		[
			['№', 5],
			['Организация', 44],
			['Вид', 8],
			['ШНОР', 8],
			['ШССУ', 8]
		],
		organizations.map((o, i) => [
			i + 1,
			o.name,
			o.kind ? ORG_KIND_SHORT[o.kind] : '',
			o.lowResults ? 'да' : 'нет',
			o.hardSocial ? 'да' : 'нет'
		])
	);
	const ws = sheet(
		wb,
		'Резерв управленческих кадров',
		`Реестр кадрового управленческого резерва: ${title}`,
		[
			['№', 5],
			['ФИО', 32],
			['Место работы', 34],
			['Должность', 22],
			['Стаж, лет', 9],
			['Обучение в школе резерва: начало', 14],
			['Обучение в школе резерва: окончание', 14],
			['Сертификаты курсовой подготовки', 40],
			['Участие в мероприятиях ДПО', 34],
			['Согласие на переезд', 18],
			['Включен в резерв', 12],
			['Эл. почта', 22],
			['Телефон', 16],
			['Примечания', 24]
		],
		reserve.map((r, i) => [
			i + 1,
			r.fullName,
			r.workplace,
			r.position,
			r.experienceYears,
			null, // training from, to: dates, written below
			null,
			r.certificates
				.map((c) =>
					[
						`«${c.course}»`,
						c.number ? `№ ${c.number}` : '',
						c.issuedOn ? `от ${c.issuedOn.split('-').reverse().join('.')}` : ''
					]
						.filter(Boolean)
						.join(' ')
				)
				.join('; '),
			r.events,
			RELOCATION_LABELS[r.relocation],
			null, // included on: a date, written below
			r.email,
			r.phone,
			r.notes
		])
	);
	writeDates(
		ws,
		3,
		[
			[6, (r) => r.trainingFrom],
			[7, (r) => r.trainingTo],
			[11, (r) => r.includedOn]
		],
		reserve
	);
}
