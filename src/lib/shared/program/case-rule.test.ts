// Issue 15: only a successfully completed program — its plan of activities carried out in full —
// may become a case of the registry of successful practices; one terminated by the curator for
// improper execution with 0 of 21 activities done was accepted.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor } from './api';
import { readProgram } from './read';
import { canBecomeCase } from './rules';
import lowEfficiency from './templates/tomsk-heads-low-efficiency';
import { curator, fixedClock, mentee, newProgram } from './test-utils';

function setup() {
	const doc = newProgram(lowEfficiency); // Appendix 4: 21 activities
	const decisions = new Y.Doc();
	const ed = (a: typeof curator) => new ProgramEditor(doc, a, { clock: fixedClock, decisions });
	return { doc, decisions, ed, view: () => readProgram(doc, decisions) };
}

describe('which program may become a case', () => {
	it('terminated by the curator with 0 of 21 done: refused, in Russian, with the figures', () => {
		const { ed, view } = setup();
		expect(view().activities.length).toBe(21);
		ed(curator).completeProgram({ reason: 'curator-initiative', date: '2025-12-01' });
		const r = canBecomeCase(view());
		expect(r).toEqual({
			ok: false,
			reason: 'not-successful',
			messageRu:
				'В реестр успешных практик вносится только программа, успешно завершенная выполнением плана мероприятий в полном объеме. Эта программа завершена по инициативе куратора в связи с недолжным исполнением; выполнено 0 из 21 мероприятия.'
		});
	});

	it('ended on the participants’ initiative with the plan half done: refused', () => {
		const { ed, view } = setup();
		for (const a of view().activities.slice(0, 10)) ed(mentee).completeActivity(a.id, '2025-10-01');
		ed(mentee).completeProgram({ reason: 'participant-initiative', date: '2025-12-01' });
		const r = canBecomeCase(view());
		expect(r.ok).toBe(false);
		if (!r.ok)
			expect(r.messageRu).toContain('по инициативе участников; выполнено 10 из 21 мероприятия');
	});

	it('not completed: refused; completed with the plan done in full: accepted', () => {
		const { ed, view } = setup();
		expect(canBecomeCase(view())).toMatchObject({ ok: false, reason: 'not-completed' });
		for (const a of view().activities) ed(mentee).completeActivity(a.id, '2025-10-01');
		ed(mentee).completeProgram({ reason: 'plan-completed', date: '2025-12-01' });
		expect(canBecomeCase(view())).toEqual({ ok: true });
	});
});
