import { describe, expect, it } from 'vitest';
import { canDecide, DECISION_KINDS, decisionOf, type DecisionProgram } from './authority.js';
import type { Actor, RoleGrant } from './policy.js';

/** canDecide for every decision kind, on a head's program and on a teacher's, by hand from docs/identity.md. */
const org = (role: RoleGrant['role'], organizationId: string): RoleGrant => ({
	role,
	organizationId,
	municipalityId: 'mun'
});
const mun = (role: RoleGrant['role'], municipalityId = 'mun'): RoleGrant => ({
	role,
	organizationId: null,
	municipalityId
});
const actor = (personId: string, ...roles: RoleGrant[]): Actor => ({ personId, roles });

const heads: DecisionProgram = {
	organizationId: 'school-b',
	municipalityId: 'mun',
	templateId: 'tomsk-heads-beginner',
	participants: [
		{ personId: 'head-a', role: 'mentor' },
		{ personId: 'head-b', role: 'mentee' }
	]
};
const teachers: DecisionProgram = { ...heads, templateId: 'teacher-surgut' };

const ACTORS = {
	menteeHead: actor('head-b', org('head', 'school-b')),
	mentorHead: actor('head-a', org('head', 'school-a')),
	schoolCurator: actor('cur-b', org('curator', 'school-b')),
	otherCurator: actor('cur-a', org('curator', 'school-a')),
	depCurator: actor('dc', mun('municipal-curator')),
	depHead: actor('dh', mun('department-head')),
	foreignDepHead: actor('dh2', mun('department-head', 'other')),
	coordinator: actor('co', mun('coordinator'))
};
type Who = keyof typeof ACTORS;

const ALL: Who[] = Object.keys(ACTORS) as Who[];
const DECIDERS: Who[] = ['schoolCurator', 'depCurator', 'depHead'];
const CURATORS: Who[] = ['schoolCurator', 'depCurator'];

const expected: Record<string, { heads: Who[]; teachers: Who[] }> = {
	'approve-program': { heads: DECIDERS, teachers: DECIDERS },
	'review-report': { heads: DECIDERS, teachers: DECIDERS },
	comment: { heads: DECIDERS, teachers: DECIDERS },
	complete: { heads: DECIDERS, teachers: DECIDERS },
	'petition-change': { heads: CURATORS, teachers: CURATORS },
	'set-form': { heads: CURATORS, teachers: CURATORS },
	'decide-change': { heads: ['depHead'], teachers: ['schoolCurator', 'depHead'] }
};

describe('canDecide', () => {
	for (const kind of DECISION_KINDS) {
		it(`${kind}: who may decide, on a head's program and on a teacher's`, () => {
			const on = (p: DecisionProgram) => ALL.filter((w) => canDecide(ACTORS[w], kind, p));
			expect(on(heads)).toEqual(expected[kind]?.heads);
			expect(on(teachers)).toEqual(expected[kind]?.teachers);
		});
	}

	it('nobody decides about their own program, whatever else they are', () => {
		const curatorAndMentee = actor('head-b', org('curator', 'school-b'), mun('department-head'));
		for (const kind of DECISION_KINDS) expect(canDecide(curatorAndMentee, kind, heads)).toBe(false);
	});

	it('maps every curator action to its decision', () => {
		expect(decisionOf('accept-report')).toBe('review-report');
		expect(decisionOf('return-report')).toBe('review-report');
		expect(decisionOf('approve-change')).toBe('decide-change');
		expect(decisionOf('reject-change')).toBe('decide-change');
		expect(decisionOf('approve-program')).toBe('approve-program');
		expect(decisionOf('comment-activity')).toBe('comment');
	});
});
