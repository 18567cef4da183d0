/**
 * A stable, opaque id for this browser profile, so the relay can keep sync facts per device and
 * the curator can tell "the mentee's phone has unsent changes" from "the mentee's laptop is fine".
 */
const KEY = 'nastavnik.deviceId';

export function deviceId(): string {
	let id = localStorage.getItem(KEY);
	if (!id) {
		id = crypto.randomUUID();
		localStorage.setItem(KEY, id);
	}
	return id;
}

/** A name a person recognizes in their list of sessions: «Android · Chrome». */
export function deviceName(ua: string = navigator.userAgent): string {
	const os = /Android/.test(ua)
		? 'Android'
		: /iPhone|iPad|iPod/.test(ua)
			? 'iOS'
			: /Windows/.test(ua)
				? 'Windows'
				: /Mac OS X/.test(ua)
					? 'macOS'
					: /Linux/.test(ua)
						? 'Linux'
						: 'Устройство';
	const browser = /YaBrowser/.test(ua)
		? 'Яндекс Браузер'
		: /Edg\//.test(ua)
			? 'Edge'
			: /Firefox\//.test(ua)
				? 'Firefox'
				: /Chrome\//.test(ua)
					? 'Chrome'
					: /Safari\//.test(ua)
						? 'Safari'
						: 'браузер';
	return `${os} · ${browser}`;
}
