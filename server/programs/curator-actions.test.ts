import { describe, expect, it } from 'vitest';
import { CURATOR_ACTIONS } from '../../src/lib/shared/api/curator.js';
import { parseCuratorAction } from './curator-actions.js';

const refused = (body: unknown) => {
	try {
		parseCuratorAction(body);
	} catch (e) {
		return e as { status: number; code: string; messageRu: string };
	}
	throw new Error(`accepted ${JSON.stringify(body)}`);
};

describe('parseCuratorAction: the one validation of curator actions', () => {
	it('accepts every action of the vocabulary in its documented shape', () => {
		const ok: Record<(typeof CURATOR_ACTIONS)[number], unknown> = {
			'accept-report': { action: 'accept-report', reportId: 'r1', comment: 'Хорошо' },
			'return-report': { action: 'return-report', reportId: 'r1', comment: 'Доработать' },
			'comment-activity': { action: 'comment-activity', activityId: 'a1', text: 'Срок?' },
			complete: { action: 'complete', reason: 'plan-completed', date: '2026-05-31' },
			'petition-change': { action: 'petition-change', changeId: 'c1' },
			'approve-change': { action: 'approve-change', changeId: 'c1' },
			'reject-change': { action: 'reject-change', changeId: 'c1' },
			'approve-program': { action: 'approve-program' },
			'set-form': { action: 'set-form', form: 'teacher-teacher' }
		};
		for (const [name, body] of Object.entries(ok)) {
			expect(parseCuratorAction(body).action).toBe(name);
		}
	});

	it('keeps only the fields of the action (a blank comment is dropped)', () => {
		expect(
			parseCuratorAction({ action: 'accept-report', reportId: 'r1', comment: '  ', extra: 1 })
		).toEqual({ action: 'accept-report', reportId: 'r1' });
	});

	it('refuses with Russian messages: unknown action, missing text, bad date, bad id', () => {
		const unknown = refused({ action: 'commentActivity' });
		expect(unknown).toMatchObject({ status: 400, code: 'invalid_request' });
		expect(unknown.messageRu).toContain('comment-activity');
		expect(refused({ action: 'return-report', reportId: 'r1' }).messageRu).toBe(
			'Укажите, что нужно доработать'
		);
		expect(
			refused({ action: 'complete', reason: 'plan-completed', date: '31.05.2026' }).messageRu
		).toBe('Дата должна быть в формате ГГГГ-ММ-ДД');
		expect(refused({ action: 'complete', reason: 'plan-completed' }).messageRu).toBe(
			'Укажите дату завершения'
		);
		expect(refused({ action: 'petition-change', changeId: '../x' })).toMatchObject({
			status: 404
		});
		expect(refused({ action: 'set-form', types: [] }).messageRu).toBe(
			'Неизвестный вид наставничества'
		);
	});
});
