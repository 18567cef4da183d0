// The curator's current scope (organization or municipality), shared by the curator screens.
// It lives in the URL (`?scope=organization:ID`) so a screen can be bookmarked and reloaded.
import { getJson, parseScope, type MonitoredScope, type ScopeRef } from './api';

export const curatorState = $state({
	loaded: false,
	scopes: [] as MonitoredScope[],
	scope: null as ScopeRef | null,
	staleDays: 7,
	today: '',
	/** 401/403 or network failure, in Russian. */
	error: '',
	status: 0
});

export async function loadScopes(search: string): Promise<void> {
	try {
		const r = await getJson<{ scopes: MonitoredScope[]; staleDays: number; today: string }>(
			'/api/curator/scopes'
		);
		curatorState.scopes = r.scopes;
		curatorState.staleDays = r.staleDays;
		curatorState.today = r.today;
		const wanted = parseScope(search);
		curatorState.scope =
			wanted ?? (r.scopes[0] ? { kind: r.scopes[0].kind, id: r.scopes[0].id } : null);
		curatorState.error = r.scopes.length
			? ''
			: 'У вас нет организаций для мониторинга: нужна роль куратора, руководителя ОО или муниципального координатора.';
	} catch (e) {
		const err = e as { status?: number; messageRu?: string };
		curatorState.status = err.status ?? 0;
		curatorState.error =
			err.status === 401
				? 'Войдите в систему по ссылке-приглашению, чтобы открыть кабинет куратора.'
				: (err.messageRu ?? 'Ошибка');
	} finally {
		curatorState.loaded = true;
	}
}

export function scopeName(s: ScopeRef | null): string {
	if (!s) return '';
	return curatorState.scopes.find((x) => x.kind === s.kind && x.id === s.id)?.name ?? '';
}
