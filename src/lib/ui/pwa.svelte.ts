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
		// workbox-window calls a first install "external" when it is found more than 200 ms after
		// registering (a busy phone), and would then offer an "update" on the very first visit.
		// Without a controlling worker there is nothing to update from.
		const hadController = navigator.serviceWorker.controller !== null;
		this.#update = registerSW({
			immediate: true,
			onNeedRefresh: () => {
				if (hadController) this.updateAvailable = true;
				else this.offlineReady = true;
			},
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
