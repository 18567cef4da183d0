/**
 * How the e2e tests and the benchmarks start Debian's Chromium (Playwright's own browser download
 * cannot work here). One list, so a test run and a benchmark measure the same browser.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Browser UI that a headless page never shows. Debian's Chromium 156.0.8078.108 builds the
 * omnibox popup as a WebUI page ("WebUI Top Renderer", chrome://omnibox-popup.top-chrome) for
 * every new tab: ~1.4 s of CPU per page, measured in a trace of bench:client's cold start, which
 * it slowed from ~0.8 to ~1.3 s on two cores (docs/benchmarks.md, "The browser on this machine").
 * Only all four together keep that renderer from starting.
 */
const BROWSER_UI_FEATURES = [
	'PreloadTopChromeWebUI',
	'WebUIOmniboxPopup',
	'WebUIOmniboxFullPopup',
	'WebUIOmniboxAimPopup'
];

/**
 * Playwright's own `--disable-features` list (playwright-core, chromiumSwitches.ts, 1.65):
 * Chromium keeps one value per switch (the last), so our `--disable-features` must repeat it.
 */
const PLAYWRIGHT_DISABLED_FEATURES = [
	'AvoidUnnecessaryBeforeUnloadCheckSync',
	'DestroyProfileOnBrowserClose',
	'HttpsUpgrades',
	'HttpsFirstBalancedModeAutoEnable',
	'LensOverlay',
	'MediaRouter',
	'PaintHolding',
	'ThirdPartyStoragePartitioning',
	'AvoidCorsURLLoaderRestartOnRedirect',
	'OptimizationHints',
	'NetworkTimeServiceQuerying',
	'AimEnabled',
	'PreconnectToSearch'
];

/**
 * The switches for a Playwright launch. Without the background-networking ones, Chromium's
 * connections are refused by this machine's closed network, many at a time.
 */
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	`--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...BROWSER_UI_FEATURES].join(',')}`
];

/** The same for a Chromium started by hand (Lighthouse): Playwright adds no list of its own there. */
export const CHROMIUM_ARGS_WITHOUT_PLAYWRIGHT = [
	...CHROMIUM_ARGS.filter((arg) => !arg.startsWith('--disable-features=')),
	`--disable-features=${BROWSER_UI_FEATURES.join(',')}`
];
