import {
	ROLE_LABELS,
	currentStage,
	nextDeadline,
	progress,
	type ProgramView
} from '$lib/shared/program';
import type { CatalogEntry } from '$lib/device/catalog';
import type { ProgramRole } from '$lib/device/account';
import type { SyncState } from '$lib/sync/program-sync';
import { today } from '$lib/ui/dates';
import { shortName } from '$lib/shared/names';

/** What the home screen shows of a program, computed locally from its document. */
export function catalogEntry(
	programId: string,
	view: ProgramView,
	role: ProgramRole,
	sync: SyncState,
	now: Date = new Date()
): CatalogEntry {
	const date = today(view, now);
	const stage = currentStage(view, date);
	const stageTitle = view.stages.find((s) => s.id === stage.stageId)?.title;
	const p = progress(view);
	const next = nextDeadline(view, date);
	const names = (role: 'mentor' | 'mentee') =>
		view.participants
			.filter((x) => x.role === role)
			.map((x) => shortName(x.name))
			.filter(Boolean);
	return {
		id: programId,
		title: view.meta.title || 'Программа наставничества',
		roleLabel: ROLE_LABELS[role],
		mentees: names('mentee'),
		mentors: names('mentor'),
		...(stageTitle ? { stageTitle } : {}),
		progress: { done: p.done, total: p.total },
		...(next ? { nextDeadline: next.date } : {}),
		pendingChanges: sync.pending,
		...(sync.savedAt ? { savedAt: new Date(sync.savedAt).toISOString() } : {}),
		openedAt: now.toISOString()
	};
}
