/**
 * Who may DECIDE about a program — one pure function, `canDecide`, beside the policy's `can`.
 * `can(actor, 'program.curate', program)` says who may act through curator actions at all (and
 * whether a refusal answers 403 or 404); `canDecide` says which decision each of them may take,
 * as the regulations assign it:
 * - nobody decides about their own program: a participant (a head who is a mentee, a mentor)
 *   never accepts its reports, approves it, moves it to «реализуется» or decides its changes;
 * - the extension or correction of a head's program is decided only by the head of the municipal
 *   department of education, on the curator's petition (Tomsk 2024 §7.2);
 * - a program is approved by order (Surgut 2022 §4.6: the head of the organization; Tomsk 2024
 *   §3.2: the head of the department) — the approval action needs an attached order, checked by
 *   server/programs/orders.ts `ensureApprovalOrder`;
 * - the form and the petition are the curator's (the organization's or the department's).
 * docs/identity.md «Кто принимает решения» has the table; server/programs/service.ts
 * `curatorAction` is the one call site.
 */
import { departmentRoles, type Actor, type ParticipantRole } from './policy.js';

export const DECISION_KINDS = [
	/** Approve a draft program: «проект» → «реализуется» (by order). */
	'approve-program',
	/** Accept or return a stage report. */
	'review-report',
	/** A curator's comment on an activity. */
	'comment',
	/** Complete the program (with its reason). */
	'complete',
	/** Petition for an extension or a correction (the curator's, with the pair's consent). */
	'petition-change',
	/** Approve or reject an extension or a correction. */
	'decide-change',
	/** Set the form, types and mentee category. */
	'set-form'
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

export interface DecisionProgram {
	organizationId: string;
	municipalityId: string;
	templateId: string;
	participants: ReadonlyArray<{ personId: string; role: ParticipantRole }>;
}

/** Head mentoring (Tomsk 2024): the mentee is a head (or a reserve) of a school. */
export function isHeadProgram(templateId: string): boolean {
	return templateId.startsWith('tomsk-heads-');
}

/** Why a decision is refused (Russian, for the screen), or null when the actor may take it. */
export function decisionRefusal(
	actor: Actor,
	kind: DecisionKind,
	program: DecisionProgram
): string | null {
	if (program.participants.some((p) => p.personId === actor.personId))
		return 'Решения по программе, в которой вы участник, принимает куратор или руководитель.';
	const inOrg = (role: 'curator' | 'head') =>
		actor.roles.some((g) => g.role === role && g.organizationId === program.organizationId);
	const orgCurator = inOrg('curator');
	const orgHead = inOrg('head');
	const { municipalCurator, departmentHead } = departmentRoles(actor, program.municipalityId);
	const curator = orgCurator || municipalCurator;
	const anyone = curator || orgHead || departmentHead;
	if (!anyone) return 'Недостаточно прав для этого действия';
	switch (kind) {
		case 'decide-change':
			if (isHeadProgram(program.templateId))
				return departmentHead
					? null
					: 'Продление или корректировку программы руководителя утверждает начальник департамента образования.';
			return orgCurator || orgHead || departmentHead
				? null
				: 'Продление или корректировку программы утверждает руководитель организации.';
		case 'set-form':
		case 'petition-change':
			return curator ? null : 'Это действие выполняет куратор.';
		case 'approve-program':
		case 'review-report':
		case 'comment':
		case 'complete':
			return null;
	}
}

/** The one decision check: may `actor` take a decision of `kind` about `program`? */
export function canDecide(actor: Actor, kind: DecisionKind, program: DecisionProgram): boolean {
	return decisionRefusal(actor, kind, program) === null;
}

/** The decision a curator action takes. */
export function decisionOf(action: string): DecisionKind {
	switch (action) {
		case 'accept-report':
		case 'return-report':
			return 'review-report';
		case 'comment-activity':
			return 'comment';
		case 'complete':
			return 'complete';
		case 'petition-change':
			return 'petition-change';
		case 'approve-change':
		case 'reject-change':
			return 'decide-change';
		case 'approve-program':
			return 'approve-program';
		default:
			return 'set-form';
	}
}
