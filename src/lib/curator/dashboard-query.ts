// The dashboard's filters, sorting and page as URL search parameters: a reload, a shared link or
// the back button brings the same list. Pure (no DOM), so it is tested on its own.
import { DASHBOARD_TEXT_FILTERS } from '$lib/shared/api/curator';
import type { ProblemFlag } from './api';

export interface DashboardFilters {
	q: string;
	form: string;
	type: string;
	category: string;
	templateId: string;
	stage: string;
	status: string;
	organizationId: string;
	/** The kind (ОО / ДОУ / ДО) and mark (ШНОР / ШССУ) of the programs' organization. */
	orgKind: string;
	orgMark: string;
	flags: ProblemFlag[];
	sort: string;
	dir: 'asc' | 'desc';
	offset: number;
	/** «Не на связи» after this many days; null: the server's default. */
	staleDays: number | null;
}

export const DEFAULT_FILTERS: Readonly<DashboardFilters> = {
	q: '',
	form: '',
	type: '',
	category: '',
	templateId: '',
	stage: '',
	status: '',
	organizationId: '',
	orgKind: '',
	orgMark: '',
	flags: [],
	sort: 'title',
	dir: 'asc',
	offset: 0,
	staleDays: null
};

const TEXT_KEYS = DASHBOARD_TEXT_FILTERS;

// A value from the address bar is the user's (or a stranger's link): bounded, never trusted
// further than the server's own validation of the same parameters.
const clean = (v: string | null, max = 200) => (v ?? '').slice(0, max);

/** The filters a URL's search part describes (absent or malformed values: the defaults). */
export function filtersFromSearch(search: string | URLSearchParams): DashboardFilters {
	const p = typeof search === 'string' ? new URLSearchParams(search) : search;
	const f: DashboardFilters = { ...DEFAULT_FILTERS, flags: [] };
	for (const k of TEXT_KEYS) f[k] = clean(p.get(k));
	f.flags = clean(p.get('flags'), 500)
		.split(',')
		.filter((x): x is ProblemFlag => /^[a-z-]{1,40}$/.test(x));
	f.sort = /^[A-Za-z-]{1,40}$/.test(p.get('sort') ?? '') ? (p.get('sort') as string) : 'title';
	f.dir = p.get('dir') === 'desc' ? 'desc' : 'asc';
	const offset = Number(p.get('offset'));
	f.offset = Number.isInteger(offset) && offset > 0 ? offset : 0;
	const stale = Number(p.get('staleDays'));
	f.staleDays = Number.isInteger(stale) && stale >= 1 && stale <= 365 ? stale : null;
	return f;
}

/**
 * The URL search part for `filters` inside `scope` (defaults left out, so a plain dashboard keeps
 * a plain address): `?scope=organization:…&stage=in-progress&flags=overdue`.
 */
export function filtersToSearch(filters: DashboardFilters, scope: string): string {
	const p = new URLSearchParams();
	if (scope) p.set('scope', scope);
	for (const k of TEXT_KEYS) {
		const v = k === 'q' ? filters.q.trim() : filters[k];
		if (v) p.set(k, v);
	}
	if (filters.flags.length) p.set('flags', filters.flags.join(','));
	if (filters.sort !== DEFAULT_FILTERS.sort) p.set('sort', filters.sort);
	if (filters.dir !== DEFAULT_FILTERS.dir) p.set('dir', filters.dir);
	if (filters.offset) p.set('offset', String(filters.offset));
	if (filters.staleDays !== null) p.set('staleDays', String(filters.staleDays));
	const s = p.toString();
	return s ? `?${s}` : '';
}

/** How many filters are on (search text, each choice, each problem flag): the panel's count. */
export function activeFilterCount(f: DashboardFilters): number {
	return TEXT_KEYS.filter((k) => (k === 'q' ? f.q.trim() : f[k])).length + f.flags.length;
}

/** Whether only the search text differs (typing: the history gets one entry, not one a letter). */
export function onlySearchDiffers(a: DashboardFilters, b: DashboardFilters): boolean {
	return a.q !== b.q && filtersToSearch({ ...a, q: b.q }, '') === filtersToSearch(b, '');
}

const REMEMBERED = 'nastavnik.dashboard';

/** Keeps the dashboard's last address in this tab (sessionStorage), for the way back to it. */
export function rememberDashboard(search: string): void {
	try {
		sessionStorage.setItem(REMEMBERED, search);
	} catch {
		// Storage off (a privacy mode): the way back shows the plain list.
	}
}

/** The remembered dashboard address when it is of `scope`; otherwise the plain list of the scope. */
export function dashboardSearch(scope: string): string {
	let search: string | null = null;
	try {
		search = sessionStorage.getItem(REMEMBERED);
	} catch {
		search = null;
	}
	if (search && new URLSearchParams(search).get('scope') === scope) return search;
	return `?${new URLSearchParams({ scope }).toString()}`;
}
