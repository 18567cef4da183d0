import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readProgram } from './read';
import { TEMPLATES, loadTemplate } from './templates/index';
import { newProgram } from './test-utils';
import type { ProgramTemplate } from './templates/types';

// Counted by hand in ../shared/seeds (beside the repository) (see docs/program-document.md, "Templates").
const EXPECTED: Record<string, { perStage: number[]; months: number[]; duration: number }> = {
	'tomsk-heads-beginner': { perStage: [4, 9, 7, 2], months: [1, 4, 9, 1], duration: 24 }, // Appendix 1: 1.1–1.4, 2.1–2.9, 3.1–3.7, 4.1–4.2
	'tomsk-heads-reserve': { perStage: [4, 8, 8, 2], months: [1, 4, 9, 1], duration: 24 }, // Appendix 2: 1.1–1.4, 2.1–2.8, 3.1–3.8, 4.1–4.2
	'tomsk-heads-low-results': { perStage: [3, 6, 8, 2], months: [1, 4, 9, 1], duration: 24 }, // Appendix 3: 1.1–1.3, 2.1–2.6, 3.1–3.8, 4.1–4.2
	'tomsk-heads-low-efficiency': { perStage: [3, 9, 7, 2], months: [1, 4, 9, 1], duration: 24 }, // Appendix 4: 1.1–1.3, 2.1–2.9, 3.1–3.7, 4.1–4.2
	'school-roadmap': {
		perStage: [4, 5, 3, 3, 4, 5, 10],
		months: [1, 1, 1, 1, 1, 4, 1],
		duration: 10
	}, // steps 1–34
	'college-roadmap': { perStage: [2, 3, 2, 3], months: [1, 1, 7, 1], duration: 10 }, // steps 1–10
	'teacher-surgut': { perStage: [4, 6, 4], months: [1, 9, 2], duration: 12 },
	learner: { perStage: [3, 3, 3], months: [1, 7, 1], duration: 9 },
	blank: { perStage: [], months: [], duration: 12 }
};
const TOTAL: Record<string, number> = {
	'tomsk-heads-beginner': 22,
	'tomsk-heads-reserve': 22,
	'tomsk-heads-low-results': 19,
	'tomsk-heads-low-efficiency': 21,
	'school-roadmap': 34,
	'college-roadmap': 10,
	'teacher-surgut': 14,
	learner: 9,
	blank: 0
};

const all = async (): Promise<ProgramTemplate[]> => Promise.all(TEMPLATES.map((t) => t.load()));

describe('templates', () => {
	it('the index lists every template without loading activities', () => {
		expect(TEMPLATES.map((t) => t.id).sort()).toEqual(Object.keys(EXPECTED).sort());
		for (const t of TEMPLATES) {
			expect(Object.keys(t).sort()).toEqual(
				['durationMonths', 'id', 'kind', 'load', 'titleRu']
					.concat(t.retired ? ['retired'] : [])
					.concat(t.term ? ['term'] : [])
					.sort()
			);
			expect(t.titleRu).toMatch(/[а-яА-Я]/);
		}
	});

	it('activity counts and stage lengths match the seeds', async () => {
		for (const t of await all()) {
			const e = EXPECTED[t.id];
			expect(e, t.id).toBeDefined();
			expect(
				t.stages.map((s) => s.activities.length),
				t.id
			).toEqual(e?.perStage);
			expect(
				t.stages.map((s) => s.months),
				t.id
			).toEqual(e?.months);
			expect(t.durationMonths, t.id).toBe(e?.duration);
			expect(
				t.stages.reduce((n, s) => n + s.activities.length, 0),
				t.id
			).toBe(TOTAL[t.id]);
			const entry = TEMPLATES.find((x) => x.id === t.id);
			expect(entry?.titleRu).toBe(t.titleRu);
			expect(entry?.kind).toBe(t.kind);
		}
	});

	it('Tomsk models have the four stages with their result forms', async () => {
		for (const t of (await all()).filter((x) => x.kind === 'tomsk-heads')) {
			expect(t.stages.map((s) => s.title)).toEqual([
				'Организационный',
				'Консультационный',
				'Деятельностный',
				'Рефлексивный'
			]);
			expect(t.stages.map((s) => s.kind)).toEqual([
				'organizational',
				'consultative',
				'activity',
				'reflective'
			]);
			expect(t.stages[0]?.resultForm).toBe('info-note');
		}
		const shnor = await loadTemplate('tomsk-heads-low-results');
		expect(shnor.stages[2]?.activities[7]?.resultForm).toBe('analytic-report');
		expect(shnor.stages[3]?.resultForm).toBe('analytic-report');
		expect((await loadTemplate('tomsk-heads-beginner')).stages[3]?.resultForm).toBe(
			'analytic-note'
		);
	});

	// The seeds live in ../shared/seeds beside the repository (CI checks out shared/ there).
	const seeds = fileURLToPath(new URL('../../../../../shared/seeds/', import.meta.url));
	const tomsk = path.join(seeds, 'tomsk-2024-heads-mentoring.txt');
	const region = path.join(seeds, 'tomsk-region-2020-student-mentoring.txt');
	const seedsPresent = existsSync(tomsk) && existsSync(region);
	if (!seedsPresent && process.env.CI)
		it('finds the seeds beside the repository', () => {
			throw new Error(`${seeds} is missing: CI must check out shared/ beside the repository`);
		});
	it.skipIf(!seedsPresent)('every activity is copied verbatim from its seed', async () => {
		const seed: Record<string, string> = {
			'tomsk-heads': readFileSync(tomsk, 'utf8'),
			'school-roadmap': readFileSync(region, 'utf8'),
			'college-roadmap': readFileSync(region, 'utf8')
		};
		let checked = 0;
		for (const t of await all()) {
			const text = seed[t.kind];
			if (!text) continue;
			for (const s of t.stages)
				for (const a of s.activities) {
					expect(text.includes(a.title), `${t.id}: ${a.title}`).toBe(true);
					checked++;
				}
		}
		expect(checked).toBe(22 + 22 + 19 + 21 + 34 + 10);
		// Step numbers of the school roadmap: the document numbers them 1..34.
		const steps = [
			...seed['school-roadmap']!.split('Примерная «дорожная карта» по внедрению')[0]!.matchAll(
				/^(\d+)\t/gm
			)
		].map((m) => Number(m[1]));
		expect(steps.slice(-34)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
	});

	it('creating a program writes every activity with deadlines computed from the start date', async () => {
		for (const t of await all()) {
			const doc = newProgram(t, '2025-09-01');
			const v = readProgram(doc);
			expect(v.problems).toEqual([]);
			expect(v.activities.length).toBe(TOTAL[t.id]);
			expect(v.stages.length).toBe(EXPECTED[t.id]?.perStage.length);
			expect(v.meta.templateId).toBe(t.id);
			expect(v.meta.durationMonths).toBe(t.durationMonths);
		}
		const v = readProgram(newProgram(await loadTemplate('tomsk-heads-beginner'), '2025-09-01'));
		const ends = v.stages.map((s) => v.activities.find((a) => a.stageId === s.id)?.deadline);
		expect(ends).toEqual(['2025-09-30', '2026-01-31', '2026-10-31', '2026-11-30']);
		expect(v.activities[0]?.title).toBe(
			'Диагностика затруднений в деятельности вновь назначенных руководителей ОУ.'
		);
		expect(v.activities[0]?.resultForm).toBe('info-note');
	});
});
