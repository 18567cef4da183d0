import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { IdentityError } from './errors.js';
import { Guard } from './guard.js';
import type { AuditInput } from './model.js';
import type { Actor } from './policy.js';

const curatorOfA: Actor = {
	personId: 'cur',
	roles: [{ role: 'curator', organizationId: 'orgA', municipalityId: 'mun1' }]
};
const orgA = { kind: 'organization', id: 'orgA', municipalityId: 'mun1' } as const;
const orgB = { kind: 'organization', id: 'orgB', municipalityId: 'mun2' } as const;
const headOfB: Actor = {
	personId: 'head',
	roles: [{ role: 'head', organizationId: 'orgB', municipalityId: 'mun2' }]
};

function setup() {
	const entries: AuditInput[] = [];
	const guard = new Guard(
		{ record: async (e) => void entries.push(e) },
		createLogger('silent'),
		() => 1234
	);
	return { guard, entries };
}

describe('Guard.guarded: check, write, audit', () => {
	it('runs the write and records the audit entry with the actor and the time', async () => {
		const { guard, entries } = setup();
		const result = await guard.guarded(
			curatorOfA,
			'people.write',
			orgA,
			async () => 'written',
			(r) => ({
				action: 'person.create',
				entityType: 'person',
				entityId: r,
				organizationId: 'orgA',
				municipalityId: 'mun1',
				details: null
			})
		);
		expect(result).toBe('written');
		expect(entries).toEqual([
			{
				action: 'person.create',
				entityType: 'person',
				entityId: 'written',
				organizationId: 'orgA',
				municipalityId: 'mun1',
				details: null,
				actorId: 'cur',
				at: 1234
			}
		]);
	});

	it('a denial writes nothing and audits nothing: 404 when the resource is not visible, 403 when it is', async () => {
		const { guard, entries } = setup();
		let wrote = false;
		const write = async () => {
			wrote = true;
		};
		const notVisible = guard.guarded(curatorOfA, 'people.write', orgB, write, () => null);
		await expect(notVisible).rejects.toMatchObject({ status: 404 });
		// A head sees their organization's people but may not write them.
		const visible = guard.guarded(headOfB, 'people.write', orgB, write, () => null);
		await expect(visible).rejects.toBeInstanceOf(IdentityError);
		await expect(visible).rejects.toMatchObject({ status: 403 });
		expect(wrote).toBe(false);
		expect(entries).toEqual([]);
	});

	it('an audit of null (an idempotent repeat) records nothing; a failed write records nothing', async () => {
		const { guard, entries } = setup();
		await guard.guarded(
			curatorOfA,
			'people.write',
			orgA,
			async () => false,
			() => null
		);
		await expect(
			guard.guarded(
				curatorOfA,
				'people.write',
				orgA,
				async () => {
					throw new Error('disk full');
				},
				() => ({
					action: 'x',
					entityType: 'x',
					entityId: 'x',
					organizationId: null,
					municipalityId: null,
					details: null
				})
			)
		).rejects.toThrow('disk full');
		expect(entries).toEqual([]);
	});

	it('an entry on behalf of someone else keeps its actor', async () => {
		const { guard, entries } = setup();
		await guard.audit(null, {
			actorId: 'inviter',
			action: 'participant.add',
			entityType: 'program',
			entityId: 'p1',
			organizationId: 'orgA',
			municipalityId: 'mun1',
			details: null
		});
		expect(entries[0]).toMatchObject({ actorId: 'inviter', at: 1234 });
	});
});
