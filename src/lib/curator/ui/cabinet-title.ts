// The heading of the monitoring cabinet for the role the current scope was granted by: a
// coordinator or a head is not «Кабинет куратора». One place, so the layout and the page titles agree.
import type { MonitoredScope, ScopeRef } from '$lib/curator/api';

export const CABINET_TITLES: Record<string, string> = {
	curator: 'Кабинет куратора',
	head: 'Кабинет руководителя организации',
	coordinator: 'Кабинет муниципального координатора',
	'municipal-curator': 'Кабинет куратора наставничества руководителей',
	'department-head': 'Кабинет руководителя органа управления образованием',
	admin: 'Кабинет администратора'
};

/** The title for the role of `scope` among `scopes` (the first scope when none is chosen). */
export function cabinetTitle(scopes: MonitoredScope[], scope: ScopeRef | null): string {
	const current =
		(scope && scopes.find((s) => s.kind === scope.kind && s.id === scope.id)) ?? scopes[0];
	return CABINET_TITLES[current?.role ?? 'curator'] ?? CABINET_TITLES.curator!;
}
