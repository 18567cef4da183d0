import { registerSW } from 'virtual:pwa-register';

/**
 * Service worker registration with an explicit update prompt: a new version never reloads the
 * page by itself (someone may be typing); the layout shows «Доступна новая версия» instead.
 */
class PwaState {
	updateAvailable = $state(false);
	offlineReady = $state(false);
	#update: ((reload?: boolean) => Promise<void>) | null = null;

	start(): void {
		if (this.#update || !('serviceWorker' in navigator)) return;
		this.#update = registerSW({
			immediate: true,
			onNeedRefresh: () => (this.updateAvailable = true),
			onOfflineReady: () => (this.offlineReady = true)
		});
	}

	async applyUpdate(): Promise<void> {
		await this.#update?.(true);
	}
}

export const pwa = new PwaState();

/** navigator.onLine as reactive state; the sync layer listens to the same events. */
class NetworkState {
	online = $state(true);

	start(): void {
		this.online = navigator.onLine;
		addEventListener('online', () => (this.online = true));
		addEventListener('offline', () => (this.online = false));
	}
}

export const network = new NetworkState();
