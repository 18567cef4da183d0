// Client helpers for the curator's screens: the /api/curator calls, the scope in the URL, the
// Russian labels of the dashboard's flags and sync states. Types come from the API contract in
// the shared kernel (src/lib/shared/api), never from server files.
import type {
	CalendarEvent,
	CaseRecord,
	CuratorAction,
	CuratorActionResult,
	DashboardResult,
	DashboardRow,
	Figures,
	OrganizationAggregate,
	PreviousFigures,
	ProblemFlag
} from '$lib/shared/api/curator';

export type {
	CuratorAction,
	CuratorActionResult,
	DashboardResult,
	DashboardRow,
	OrganizationAggregate,
	ProblemFlag,
	Figures,
	PreviousFigures,
	CalendarEvent,
	CaseRecord
};

export class CuratorApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly messageRu: string
	) {
		super(code);
	}
}

/** The page gave up on the request (LatestAnswer): nobody waits for it, nothing is shown. */
const abortedError = () => new CuratorApiError(0, 'aborted', 'Запрос отменен.');

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			credentials: 'same-origin',
			...init,
			headers: {
				accept: 'application/json',
				...(init.body ? { 'content-type': 'application/json' } : {})
			}
		});
	} catch {
		if (init.signal?.aborted) throw abortedError();
		throw new CuratorApiError(
			0,
			'network',
			'Нет связи с сервером. Данные на экране могут быть неактуальны.'
		);
	}
	const body = (await res.json().catch(() => null)) as
		(T & { error?: string; message?: string }) | null;
	// Aborted while the body was read: that is no answer, not an empty one.
	if (init.signal?.aborted) throw abortedError();
	if (!res.ok)
		throw new CuratorApiError(
			res.status,
			body?.error ?? `http_${res.status}`,
			body?.message ?? 'Ошибка сервера. Попробуйте ещё раз.'
		);
	return body as T;
}

/** `signal`: the request is aborted with it (a screen's load overtaken, see LatestAnswer). */
export const getJson = <T>(path: string, signal?: AbortSignal): Promise<T> =>
	call<T>(path, signal ? { signal } : {});
export const postJson = <T>(path: string, body: unknown): Promise<T> =>
	call<T>(path, { method: 'POST', body: JSON.stringify(body) });
export const patchJson = <T>(path: string, body: unknown): Promise<T> =>
	call<T>(path, { method: 'PATCH', body: JSON.stringify(body) });
export const putJson = <T>(path: string, body: unknown): Promise<T> =>
	call<T>(path, { method: 'PUT', body: JSON.stringify(body) });
export const deleteJson = <T>(path: string): Promise<T> => call<T>(path, { method: 'DELETE' });

export interface ScopeRef {
	kind: 'organization' | 'municipality';
	id: string;
}
export interface MonitoredScope extends ScopeRef {
	name: string;
	role: string;
}

/** `?scope=organization:ID` ↔ ScopeRef. */
export function parseScope(search: string): ScopeRef | null {
	const v = new URLSearchParams(search).get('scope');
	const m = v ? /^(organization|municipality):([A-Za-z0-9_-]{1,128})$/.exec(v) : null;
	return m ? { kind: m[1] as ScopeRef['kind'], id: m[2] as string } : null;
}
export const scopeParam = (s: ScopeRef): string => `${s.kind}:${s.id}`;
export const scopeApi = (s: ScopeRef): string =>
	`/api/curator/${s.kind === 'organization' ? 'organizations' : 'municipalities'}/${encodeURIComponent(s.id)}`;

export const FLAG_LABELS: Record<ProblemFlag, string> = {
	overdue: 'Просрочены мероприятия',
	'reports-due': 'Отчет не представлен к сроку',
	'reports-submitted': 'Отчет ждет проверки',
	'reports-returned': 'Отчет возвращен на доработку',
	'pending-sync': 'Неотправленные изменения на устройстве',
	stale: 'Участник давно не на связи',
	'changes-pending': 'Ходатайство о продлении / корректировке',
	problems: 'Ошибки в данных программы',
	'not-opened': 'Приглашение не открыто'
};

export const SYNC_LABELS: Record<string, string> = {
	'in-sync': 'на связи, всё синхронизировано',
	pending: 'есть неотправленные изменения',
	stale: 'давно не выходил на связь',
	seen: 'изменения доставлены при последней связи',
	never: 'ещё не подключался',
	'not-opened': 'приглашение не открыто'
};

export const STAGE_FILTERS: Record<string, string> = {
	organizational: '1. Организационный',
	consultative: '2. Консультационный',
	activity: '3. Деятельностный',
	reflective: '4. Рефлексивный',
	custom: 'Другой этап',
	'not-started': 'Не начата',
	finished: 'Сроки этапов истекли',
	unscheduled: 'Без дат'
};

export const SORT_LABELS: Record<string, string> = {
	title: 'по названию',
	organization: 'по организации',
	stage: 'по этапу',
	progress: 'по выполнению',
	overdue: 'по просрочке',
	'next-deadline': 'по ближайшему сроку',
	'reports-due': 'по непредставленным отчетам',
	'reports-submitted': 'по отчетам на проверке',
	'last-activity': 'по последней активности',
	'last-seen': 'по давности связи',
	start: 'по дате начала',
	end: 'по дате окончания'
};

/** '2026-06-10' → '10.06.2026'. */
export function ruDate(d: string | null | undefined): string {
	if (!d) return '—';
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
	return m ? `${m[3]}.${m[2]}.${m[1]}` : d;
}

/** How long ago, in Russian: «5 мин назад», «3 ч назад», «12 дн. назад». */
export function ago(ms: number | null | undefined, now: number = Date.now()): string {
	if (!ms) return 'никогда';
	const s = Math.max(0, Math.round((now - ms) / 1000));
	if (s < 60) return 'только что';
	if (s < 3600) return `${Math.round(s / 60)} мин назад`;
	if (s < 86_400) return `${Math.round(s / 3600)} ч назад`;
	return `${Math.round(s / 86_400)} дн. назад`;
}

/** Device-clock stamp ('2026-03-14T10:00:00Z' or a date) → '14.03.2026'. */
export function stampDate(s: string | null | undefined): string {
	return s ? ruDate(s.slice(0, 10)) : '—';
}
