/**
 * The real all-in-one server (relay, SQLite, identity, the curator API as server/app.ts wires
 * them), plus a bootstrapped municipality, organization and curator session.
 */
import type { NastavnikServer } from '../../server/app';
import { mintAccessToken } from '../../server/auth/tokens';
import type { IdentityService } from '../../server/identity/index';
import { blankPerson } from '../../server/identity/model';
import type { Actor } from '../../server/identity/policy';
import { createTestServer } from '../support/test-server';
import type { DocumentStore } from '../../server/storage/document-store';

export interface CuratorTestServer {
	server: NastavnikServer;
	port: number;
	base: string;
	wsBase: string;
	store: DocumentStore;
	identity: IdentityService;
	admin: Actor;
	municipalityId: string;
	organizationId: string;
	curatorActor: Actor;
	curatorCookie: string;
	/** Creates a person in the organization (the bank) and signs them in; returns id and cookie. */
	person(
		fullName: string,
		role: 'curator' | 'head' | 'coordinator' | null,
		orgId?: string
	): Promise<{ id: string; cookie: string; actor: Actor }>;
	token(userId: string, programId: string): string;
	get(url: string, cookie?: string): Promise<Response>;
	post(url: string, body: unknown, cookie?: string): Promise<Response>;
	logs(): string;
	close(): Promise<void>;
}

export async function startCuratorServer(
	env: Record<string, string> = {}
): Promise<CuratorTestServer> {
	const t = await createTestServer({ env });
	const server = t.server;
	const store = server.documents;
	const secret = server.secret;
	const identity = server.identity;
	const port = t.port;
	const base = t.url;

	// Bootstrap: an administrator (as the CLI would), a municipality, an organization, a curator.
	const now = Date.now();
	const adminId = 'admin0000001';
	await identity.store.people.create(
		blankPerson(
			{ id: adminId, organizationId: null, municipalityId: null, fullName: 'Администратор' },
			now
		)
	);
	await identity.store.roles.assign({
		id: 'adminrole001',
		personId: adminId,
		role: 'admin',
		organizationId: null,
		municipalityId: null,
		createdAt: now,
		createdBy: null
	});
	const admin = await identity.actorFor(adminId);
	const mun = await identity.createMunicipality(admin, 'г. Томск');
	const org = await identity.createOrganization(admin, mun.id, 'МАОУ СОШ № 1 г. Томска');

	const signIn = async (personId: string) => {
		const inv = await identity.createInvitation(admin, { personId });
		const s = await identity.redeemInvitation(inv.code, 'test');
		return `nst_session=${s.token}`;
	};
	const person: CuratorTestServer['person'] = async (fullName, role, orgId = org.id) => {
		const p = await identity.createPerson(
			admin,
			role === 'coordinator' ? { municipalityId: mun.id } : { organizationId: orgId },
			{ fullName }
		);
		if (role === 'coordinator')
			await identity.assignRole(admin, p.id, 'coordinator', { municipalityId: mun.id });
		else if (role) await identity.assignRole(admin, p.id, role, { organizationId: orgId });
		return { id: p.id, cookie: await signIn(p.id), actor: await identity.actorFor(p.id) };
	};
	const cur = await person('Сидорова Анна Викторовна', 'curator');

	const req = (method: string, url: string, body: unknown, cookie?: string) =>
		fetch(`${base}${url}`, {
			method,
			headers: {
				...(cookie ? { cookie } : {}),
				...(body !== undefined ? { 'content-type': 'application/json' } : {})
			},
			...(body !== undefined ? { body: JSON.stringify(body) } : {})
		});
	return {
		server,
		port,
		base,
		wsBase: `ws://127.0.0.1:${port}/sync`,
		store,
		identity,
		admin,
		municipalityId: mun.id,
		organizationId: org.id,
		curatorActor: cur.actor,
		curatorCookie: cur.cookie,
		person,
		token: (userId, programId) =>
			mintAccessToken(secret, {
				userId,
				programId,
				access: 'rw',
				expiresAt: Date.now() + 3_600_000
			}),
		get: (url, cookie) => req('GET', url, undefined, cookie),
		post: (url, body, cookie) => req('POST', url, body, cookie),
		logs: t.logs,
		close: t.close
	};
}
