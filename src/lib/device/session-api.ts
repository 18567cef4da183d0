import { loadAccount, saveAccount, markSignedOut, type DeviceAccount } from './account';
import { deviceName } from './device-id';
import type { MeResponse as MeContract } from '$lib/shared/api/session';
import type { SessionStateResponse } from '$lib/shared/api/access';

/** What `/api/me`, redeem and login answer (the part the device keeps): the API contract. */
type MeResponse = Pick<MeContract, 'person' | 'programs'> & { roles?: MeContract['roles'] };

const MONITORING_ROLES = new Set([
	'curator',
	'head',
	'coordinator',
	'municipal-curator',
	'department-head',
	'admin'
]);

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		/** Russian, for the user. */
		readonly messageRu: string
	) {
		super(code);
	}
}

const OFFLINE_MESSAGE = 'Нет связи с сервером. Проверьте интернет и попробуйте еще раз.';

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
	let response: Response;
	try {
		response = await fetch(path, {
			credentials: 'same-origin',
			...init,
			headers: {
				accept: 'application/json',
				...(init.body ? { 'content-type': 'application/json' } : {})
			}
		});
	} catch {
		throw new ApiError(0, 'network', OFFLINE_MESSAGE);
	}
	const body = (await response.json().catch(() => null)) as
		(T & { error?: string; message?: string }) | null;
	if (!response.ok) {
		throw new ApiError(
			response.status,
			body?.error ?? 'http_' + response.status,
			body?.message ?? 'Ошибка сервера. Попробуйте еще раз.'
		);
	}
	return body as T;
}

function remember(me: MeResponse): DeviceAccount {
	const account: DeviceAccount = {
		personId: me.person.id,
		fullName: me.person.fullName,
		programs: me.programs.map((p) => ({
			id: p.id,
			title: p.title,
			role: p.role,
			...(p.mentees ? { mentees: p.mentees } : {}),
			...(p.mentors ? { mentors: p.mentors } : {})
		})),
		monitors: (me.roles ?? []).some((r) => MONITORING_ROLES.has(r.role))
	};
	saveAccount(account);
	return account;
}

/** Exchanges a one-time invitation code for this device's long-lived session. */
export async function redeemInvitation(code: string): Promise<DeviceAccount> {
	const me = await call<MeResponse>('/api/invitations/redeem', {
		method: 'POST',
		body: JSON.stringify({ code, deviceName: deviceName() })
	});
	return remember(me);
}

export async function login(loginName: string, password: string): Promise<DeviceAccount> {
	const me = await call<MeResponse>('/api/login', {
		method: 'POST',
		body: JSON.stringify({ login: loginName, password, deviceName: deviceName() })
	});
	return remember(me);
}

/**
 * Refreshes what the device knows (new programs, renamed titles) when the network allows.
 * A 401 marks the device as signed out — local work stays; it syncs after signing in again.
 */
export async function refreshAccount(): Promise<DeviceAccount | null> {
	try {
		return remember(await call<MeResponse>('/api/me'));
	} catch (error) {
		if (error instanceof ApiError && error.status === 401) markSignedOut(true);
		return loadAccount();
	}
}

/**
 * What became of this device's session (GET /api/session/state, no session needed): a device the
 * curator revoked says so instead of a bare «войдите снова». Null without a network.
 */
export async function sessionState(): Promise<SessionStateResponse | null> {
	try {
		return await call<SessionStateResponse>('/api/session/state');
	} catch {
		return null;
	}
}
