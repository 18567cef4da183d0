/**
 * Uploads from any screen (issue 17): the files this person attached on this device and the server
 * does not hold yet (file-store's outbox) go up when the app starts, when the network returns and
 * when the app is shown again — not only while their program is open. A mentor who photographed
 * a meeting offline and next opens the app on the home screen still gets the photo to the partner
 * and the curator. Refused for good (quota, type, no access): left to the program's screen, which
 * shows why. The same file is never sent twice at once (attachment-upload.ts).
 */
import { UPLOAD_BACKOFF_MS, UploadError, uploadAttachment } from './attachment-upload';
import { loadAccount } from './account';
import { outboxEntries, removeFromOutbox } from './file-store';

/** After the first screen has rendered: the home page's first paint is not the outbox's. */
const START_DELAY_MS = 2_000;

export function startOutbox(): () => void {
	let running = false;
	let again = false;
	let attempt = 0;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let stopped = false;

	const later = () => {
		if (timer || stopped) return;
		const delay = UPLOAD_BACKOFF_MS[Math.min(attempt, UPLOAD_BACKOFF_MS.length - 1)]!;
		attempt++;
		timer = setTimeout(() => {
			timer = null;
			kick();
		}, delay);
	};

	async function drain(): Promise<void> {
		// No one signed in (a new device, or after sign-out): nothing may be sent, and reading the
		// outbox would create the files database again, on a device just wiped of the person's data.
		const account = loadAccount();
		if (!account || account.signedOut) return;
		const entries = await outboxEntries();
		for (const e of entries) {
			if (stopped || !navigator.onLine) return;
			try {
				await uploadAttachment(e.programId, e.hash, e.name);
			} catch (error) {
				if (error instanceof UploadError && !error.retry) {
					await removeFromOutbox(e.programId, e.hash);
					continue;
				}
				later();
				return;
			}
		}
		attempt = 0;
	}

	function kick(fresh = false): void {
		if (stopped) return;
		if (fresh) {
			attempt = 0;
			if (timer) clearTimeout(timer);
			timer = null;
		}
		if (running) {
			again = true;
			return;
		}
		running = true;
		void drain()
			.catch((error: unknown) => console.error('outbox failed', error))
			.finally(() => {
				running = false;
				if (again) {
					again = false;
					kick();
				}
			});
	}

	const onOnline = () => kick(true);
	const onVisible = () => {
		if (document.visibilityState === 'visible') kick(true);
	};
	addEventListener('online', onOnline);
	document.addEventListener('visibilitychange', onVisible);
	const first = setTimeout(() => kick(true), START_DELAY_MS);
	return () => {
		stopped = true;
		clearTimeout(first);
		if (timer) clearTimeout(timer);
		removeEventListener('online', onOnline);
		document.removeEventListener('visibilitychange', onVisible);
	};
}
