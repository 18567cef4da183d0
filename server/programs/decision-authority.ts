/**
 * Who may take which curator action on a program: the ONE authority check of the curator-action
 * pipeline (curator-actions.ts calls it before any edit, with the program as it is read). The
 * policy ('program.curate', ProgramsService) has already decided that the person curates the
 * program's organization; this decides the action itself. Replaceable as a whole when roles
 * grow (a department head for extensions, orders before approval, nobody decides about their own
 * program).
 */
import { ProgramValidationError, type ProgramView } from '../../src/lib/shared/program/index.js';
import type { CuratorAction } from '../../src/lib/shared/api/curator.js';

export interface DecisionMaker {
	personId: string;
	/** curator (the organization's curator) or head (руководитель ОО). */
	role: 'curator' | 'head';
}

/** Throws a ProgramValidationError (Russian message) when `who` may not take `action` on `view`. */
export function checkDecisionAuthority(
	who: DecisionMaker,
	action: CuratorAction,
	view: ProgramView
): void {
	// Nobody decides about their own program: a mentor or mentee of it is not its decision maker.
	if (
		view.participants.some(
			(p) => p.userId === who.personId && (p.role === 'mentor' || p.role === 'mentee')
		)
	)
		throw new ProgramValidationError(
			'forbidden',
			'actor',
			'a participant decides nothing about their own program',
			'Решения по своей программе принимает не участник, а куратор.'
		);
	if (action.action === 'set-form' && who.role !== 'curator')
		throw new ProgramValidationError(
			'forbidden',
			'form',
			'only the curator sets the form',
			'Форму и вид наставничества задает куратор.'
		);
}
