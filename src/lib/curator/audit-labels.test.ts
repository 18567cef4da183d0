import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CURATOR_ACTIONS } from '$lib/shared/api/curator';
import { AUDIT_ACTION_LABELS, auditActionLabel } from './audit-labels';

/** Every action code the server writes into the audit log (its source, read as text). */
function auditedActions(): string[] {
	const found = new Set<string>();
	const walk = (dir: string) => {
		for (const e of readdirSync(dir, { withFileTypes: true })) {
			const p = path.join(dir, e.name);
			if (e.isDirectory()) walk(p);
			else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) {
				const text = readFileSync(p, 'utf8');
				for (const m of text.matchAll(/action:\s*'([a-z-]+\.[a-z.-]+)'/g)) found.add(m[1] ?? '');
				for (const m of text.matchAll(/'(session\.(?:logout|revoke))'/g)) found.add(m[1] ?? '');
			}
		}
	};
	walk(path.resolve('server'));
	return [...found].sort();
}

describe('audit log labels', () => {
	it('has a Russian label for every action the server audits', () => {
		const actions = auditedActions();
		expect(actions.length).toBeGreaterThan(20);
		expect(actions.filter((a) => !AUDIT_ACTION_LABELS[a])).toEqual([]);
	});

	it('labels every curator action (audited as curator.<action>)', () => {
		for (const a of CURATOR_ACTIONS) expect(AUDIT_ACTION_LABELS[`curator.${a}`]).toBeTruthy();
	});

	it('never shows a code, even for an action added later', () => {
		expect(auditActionLabel('person.create')).toBe('запись создана');
		expect(auditActionLabel('person.archive')).toBe('изменение записи человека');
		expect(auditActionLabel('something.new')).toBe('действие в системе');
		for (const label of Object.values(AUDIT_ACTION_LABELS)) expect(label).not.toMatch(/[a-z]/);
	});
});
