/**
 * Who uses this device, and in which programs — kept locally so the app opens with no network
 * for months after the invitation was redeemed. The session itself is an httpOnly cookie the
 * page cannot read; this is only what the screens need to know.
 */
export type ProgramRole = 'mentor' | 'mentee' | 'curator' | 'head';

export interface AccountProgram {
	id: string;
	title: string;
	role: ProgramRole;
	/** Short names of the mentees and mentors (from the server): two programs of one template read apart. */
	mentees?: string[];
	mentors?: string[];
}

export interface DeviceAccount {
	personId: string;
	fullName: string;
	programs: AccountProgram[];
	/** Curator, head, coordinator or administrator somewhere: the monitoring screens apply. */
	monitors?: boolean;
	/** Set when the server said the session is no longer valid: the UI asks to sign in again. */
	signedOut?: boolean;
}

const KEY = 'nastavnik.account';

export function loadAccount(): DeviceAccount | null {
	try {
		const raw = localStorage.getItem(KEY);
		if (!raw) return null;
		const value = JSON.parse(raw) as DeviceAccount;
		return typeof value?.personId === 'string' && Array.isArray(value.programs) ? value : null;
	} catch {
		return null;
	}
}

export function saveAccount(account: DeviceAccount): void {
	localStorage.setItem(KEY, JSON.stringify(account));
}

export function markSignedOut(signedOut: boolean): void {
	const account = loadAccount();
	if (account && !!account.signedOut !== signedOut) saveAccount({ ...account, signedOut });
}
