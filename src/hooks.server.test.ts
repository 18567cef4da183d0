import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deferModulePreloads } from './hooks.server';
import { FIRST_PAINT_ID, FIRST_PAINT_KEY } from '$lib/device/first-paint';

describe('the first paint of a returning visit (app.html, hooks.server.ts, first-paint.ts)', () => {
	it('makes the module preloads inert and leaves every other tag as it was', () => {
		const head = [
			'<link href="./_app/immutable/assets/0.abc.css" rel="stylesheet">',
			'<link rel="modulepreload" href="./_app/immutable/entry/start.abc.js">',
			'<link href="/_app/immutable/entry/app.abc.js" rel="modulepreload">',
			'<link rel="manifest" href="/manifest.webmanifest">'
		].join('\n');
		expect(deferModulePreloads(head).split('\n')).toEqual([
			'<link href="./_app/immutable/assets/0.abc.css" rel="stylesheet">',
			'<link rel="x-modulepreload" href="./_app/immutable/entry/start.abc.js">',
			'<link href="/_app/immutable/entry/app.abc.js" rel="x-modulepreload">',
			'<link rel="manifest" href="/manifest.webmanifest">'
		]);
	});

	it('app.html reads what first-paint.ts stores, and restores the preloads the hook made inert', () => {
		const html = readFileSync(new URL('./app.html', import.meta.url), 'utf8');
		expect(html).toContain(`'${FIRST_PAINT_KEY}' + location.pathname`);
		expect(html).toContain(`id="${FIRST_PAINT_ID}"`);
		expect(html).toContain(`classList.add('${FIRST_PAINT_ID}')`);
		expect(html).toContain('link[rel="x-modulepreload"]');
		// The app's build is told by its entry, as buildId() reads it.
		expect(html).toContain(`link[href*="/entry/app."]`);
		// SvelteKit's start script waits in a template inside the app's container.
		expect(html).toMatch(
			/<div class="app">\s*<template data-app-start>%sveltekit\.body%<\/template>/
		);
	});
});
