import QRCode from 'qrcode';
import { parseArgs } from 'node:util';
import { IdentityError } from '../../identity/errors.js';
import { formatImportErrors, importPeople, readImportFile } from '../../identity/import.js';
import { relayAccess, ROLES, type Role } from '../../identity/policy.js';
import { SYSTEM_ACTOR } from '../../identity/service.js';
import { runDemo } from './demo.js';
import { openCliContext, parseDuration, type CliContext } from './context.js';

/** Same shape as the commands in server/cli/main.ts. */
export interface CliCommand {
	summary: string;
	usage: string;
	run(args: string[]): Promise<number> | number;
}

type Options = Parameters<typeof parseArgs>[0] extends infer T
	? T extends { options?: infer O }
		? NonNullable<O>
		: never
	: never;

function args<O extends Options>(argv: string[], options: O) {
	return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as {
		[K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string;
	};
}

async function withContext(fn: (ctx: CliContext) => Promise<number>): Promise<number> {
	const ctx = await openCliContext();
	try {
		return await fn(ctx);
	} catch (error) {
		if (error instanceof IdentityError) {
			console.error(`Ошибка: ${error.messageRu}`);
			return 1;
		}
		throw error;
	} finally {
		await ctx.close();
	}
}

/**
 * The origin of the links the CLI prints: `--origin`, else PUBLIC_URL. Never a guess: the CLI runs
 * beside the data, not inside the server, and cannot know the address people open the server at
 * (it used to print http://localhost:3000 whatever the port). Null, after an English message on
 * stderr, when neither is given or `--origin` is not an http(s) origin; checked before anything is
 * created.
 */
export function linkOrigin(publicUrl: string | null, given: string | undefined): string | null {
	if (given !== undefined) {
		try {
			const u = new URL(given);
			if ((u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search)
				return u.origin;
		} catch {
			// reported below
		}
		console.error(
			`--origin must be the server's address as people open it, e.g. https://nastavnik.school.ru or http://192.168.1.20:3000 (got "${given}").`
		);
		return null;
	}
	if (publicUrl) return publicUrl;
	console.error(
		'PUBLIC_URL is not set, so the CLI cannot know the address people open the server at and will not print a link that may not work. ' +
			"Set PUBLIC_URL to the server's public origin (e.g. PUBLIC_URL=https://nastavnik.school.ru npm run cli -- …, the same value the server runs with) " +
			'or pass --origin http://<host>:<port>. Nothing was created.'
	);
	return null;
}

async function printInvitation(url: string, label: string, qr: boolean): Promise<void> {
	console.log(`${label}: ${url}`);
	if (qr) console.log(await QRCode.toString(url, { type: 'terminal', small: true }));
}

export const identityCommands: Record<string, CliCommand> = {
	setup: {
		summary:
			'Create a municipality, an organization and its first curator; print the invitation link',
		usage:
			'setup --municipality "<name>" | --municipality-id <id>  --organization "<name>"  --curator "<full name>" [--time-zone Asia/Vladivostok] [--email <e-mail>] [--ttl 14d] [--qr] [--origin <url>]',
		run: (argv) =>
			withContext(async ({ identity, config }) => {
				const o = args(argv, {
					municipality: { type: 'string' },
					'municipality-id': { type: 'string' },
					organization: { type: 'string' },
					curator: { type: 'string' },
					email: { type: 'string' },
					ttl: { type: 'string' },
					qr: { type: 'boolean' },
					origin: { type: 'string' },
					/** IANA zone of a new municipality, else of the organization (default Europe/Moscow). */
					'time-zone': { type: 'string' }
				});
				if ((!o.municipality && !o['municipality-id']) || !o.organization || !o.curator) {
					console.error('Нужны --municipality (или --municipality-id), --organization и --curator');
					return 2;
				}
				const origin = linkOrigin(config.publicUrl, o.origin);
				if (origin === null) return 2;
				const ttl = o.ttl ? parseDuration(o.ttl) : undefined;
				if (ttl === null) {
					console.error('--ttl: например 7d, 48h');
					return 2;
				}
				const mun = o['municipality-id']
					? await identity.getMunicipality(SYSTEM_ACTOR, o['municipality-id'])
					: await identity.createMunicipality(
							SYSTEM_ACTOR,
							o.municipality ?? '',
							o['time-zone'] ?? null
						);
				const org = await identity.createOrganization(
					SYSTEM_ACTOR,
					mun.id,
					o.organization,
					o['municipality-id'] ? (o['time-zone'] ?? null) : null
				);
				const person = await identity.createPerson(
					SYSTEM_ACTOR,
					{ organizationId: org.id },
					{ fullName: o.curator, ...(o.email ? { email: o.email } : {}) }
				);
				await identity.assignRole(SYSTEM_ACTOR, person.id, 'curator', { organizationId: org.id });
				const { url, invitation } = await identity.createInvitation(
					SYSTEM_ACTOR,
					{ personId: person.id, ...(ttl !== undefined ? { ttlMs: ttl } : {}) },
					origin
				);
				console.log(`Муниципалитет:  ${mun.name} (${mun.id})`);
				console.log(`Организация:    ${org.name} (${org.id})`);
				console.log(`Часовой пояс:   ${await identity.organizationTimeZone(org.id)}`);
				console.log(`Куратор:        ${person.fullName} (${person.id})`);
				await printInvitation(url, 'Ссылка-приглашение куратора (одноразовая)', Boolean(o.qr));
				console.log(`Действует до:   ${new Date(invitation.expiresAt).toISOString()}`);
				return 0;
			})
	},
	account: {
		summary: 'Create an account (admin, coordinator, curator, head) and print its invitation link',
		usage:
			'account --name "<full name>" --role admin|coordinator|curator|head [--organization <id>] [--municipality <id>] [--ttl 14d] [--qr] [--origin <url>]',
		run: (argv) =>
			withContext(async ({ identity, config }) => {
				const o = args(argv, {
					name: { type: 'string' },
					role: { type: 'string' },
					organization: { type: 'string' },
					municipality: { type: 'string' },
					ttl: { type: 'string' },
					qr: { type: 'boolean' },
					origin: { type: 'string' }
				});
				const role = o.role as Role | undefined;
				if (!o.name || !role || !ROLES.includes(role)) {
					console.error(`Нужны --name и --role (${ROLES.join(', ')})`);
					return 2;
				}
				const origin = linkOrigin(config.publicUrl, o.origin);
				if (origin === null) return 2;
				const ttl = o.ttl ? parseDuration(o.ttl) : undefined;
				if (ttl === null) return 2;
				const scope = {
					...(o.organization ? { organizationId: o.organization } : {}),
					...(o.municipality ? { municipalityId: o.municipality } : {})
				};
				const person = await identity.createPerson(
					SYSTEM_ACTOR,
					role === 'admin'
						? {}
						: role === 'coordinator' || role === 'municipal-curator' || role === 'department-head'
							? { municipalityId: o.municipality ?? '' }
							: scope,
					{ fullName: o.name }
				);
				await identity.assignRole(SYSTEM_ACTOR, person.id, role, scope);
				const { url } = await identity.createInvitation(
					SYSTEM_ACTOR,
					{ personId: person.id, ...(ttl !== undefined ? { ttlMs: ttl } : {}) },
					origin
				);
				console.log(`${person.fullName} (${person.id}), роль: ${role}`);
				await printInvitation(url, 'Ссылка-приглашение (одноразовая)', Boolean(o.qr));
				return 0;
			})
	},
	invite: {
		summary: 'Print a new one-time invitation (sign-in) link for a person already in the registry',
		usage:
			'invite --person <id> [--program <id> --role mentor|mentee] [--ttl 14d] [--qr] [--origin <url>]',
		run: (argv) =>
			withContext(async ({ identity, config }) => {
				const o = args(argv, {
					person: { type: 'string' },
					program: { type: 'string' },
					role: { type: 'string' },
					ttl: { type: 'string' },
					qr: { type: 'boolean' },
					origin: { type: 'string' }
				});
				if (!o.person) {
					console.error('Нужен --person');
					return 2;
				}
				const origin = linkOrigin(config.publicUrl, o.origin);
				if (origin === null) return 2;
				const ttl = o.ttl ? parseDuration(o.ttl) : undefined;
				if (ttl === null) return 2;
				const { url, invitation } = await identity.createInvitation(
					SYSTEM_ACTOR,
					{
						personId: o.person,
						...(o.program ? { programId: o.program } : {}),
						...(o.role ? { role: o.role as Role } : {}),
						...(ttl !== undefined ? { ttlMs: ttl } : {})
					},
					origin
				);
				await printInvitation(url, 'Ссылка-приглашение (одноразовая)', Boolean(o.qr));
				console.log(`Действует до: ${new Date(invitation.expiresAt).toISOString()}`);
				return 0;
			})
	},
	organizations: {
		summary: 'List municipalities and organizations with their ids',
		usage: 'organizations',
		run: () =>
			withContext(async ({ identity }) => {
				for (const m of await identity.listMunicipalities(SYSTEM_ACTOR)) {
					console.log(`${m.id}  ${m.name}`);
					for (const org of await identity.listOrganizations(SYSTEM_ACTOR, m.id)) {
						console.log(`  ${org.id}  ${org.name}`);
					}
				}
				return 0;
			})
	},
	token: {
		summary:
			'Mint a recorded relay access token for a person and a program (operators, integrations)',
		usage: 'token --user <id> --program <id> [--access rw|ro] [--ttl 1h]',
		run: (argv) =>
			withContext(async ({ identity, documents }) => {
				const o = args(argv, {
					user: { type: 'string' },
					program: { type: 'string' },
					access: { type: 'string' },
					ttl: { type: 'string' }
				});
				if (!o.user || !o.program) {
					console.error(
						'Usage: npm run cli -- token --user <id> --program <id> [--access rw|ro] [--ttl 1h]'
					);
					return 2;
				}
				if (o.access !== undefined && o.access !== 'rw' && o.access !== 'ro') {
					console.error('--access must be rw or ro');
					return 2;
				}
				const ttl = parseDuration(o.ttl ?? '1h');
				if (ttl === null || ttl > 366 * 86_400_000) {
					console.error('--ttl: e.g. 15m, 1h, 30d (at most 366d)');
					return 2;
				}
				if (!(await documents.programExists(o.program))) {
					console.error(`No program ${o.program}`);
					return 1;
				}
				const person = await identity.store.people.get(o.user);
				const program = await identity.programResource(o.program);
				if (person && program) {
					const allowed = person.active
						? relayAccess(await identity.actorFor(person.id), program)
						: null;
					if (allowed === null) {
						// The relay checks the person's rights at every use: such a token would open nothing.
						console.error('This person has no access to this program.');
						return 1;
					}
					if (allowed === 'ro' && o.access === 'rw') {
						console.error('This person may only read this program.');
						return 1;
					}
				} else if (!person) {
					console.error(
						`Note: ${o.user} is not a person in the registry (an integration?); minting as asked.`
					);
				}
				const minted = await identity.mintAccessToken(SYSTEM_ACTOR, {
					personId: o.user,
					programId: o.program,
					access: o.access === 'ro' ? 'ro' : 'rw',
					ttlMs: ttl
				});
				// The token is the only thing on stdout, so that `$(npm run -s cli -- token …)` works.
				console.log(minted.token);
				console.error(
					`id ${minted.id}, access ${minted.access}, expires ${new Date(minted.expiresAt).toISOString()} (revoke: npm run cli -- revoke-token --id ${minted.id})`
				);
				return 0;
			})
	},
	tokens: {
		summary: "List a person's recorded relay access tokens (ids, program, status; never the token)",
		usage: 'tokens --person <id>',
		run: (argv) =>
			withContext(async ({ identity }) => {
				const o = args(argv, { person: { type: 'string' } });
				if (!o.person) {
					console.error('Нужен --person');
					return 2;
				}
				const now = Date.now();
				for (const t of await identity.listAccessTokens(SYSTEM_ACTOR, o.person)) {
					const status =
						t.revokedAt !== null
							? `revoked ${new Date(t.revokedAt).toISOString()} (${t.revokedReason ?? '-'})`
							: t.expiresAt <= now
								? 'expired'
								: 'active';
					console.log(
						`${t.id}  ${t.programId}  ${t.access}  until ${new Date(t.expiresAt).toISOString()}  ${status}`
					);
				}
				return 0;
			})
	},
	'revoke-token': {
		summary:
			'Revoke a recorded relay access token by id; running servers close its connections within ~1 s',
		usage: 'revoke-token --id <token id>',
		run: (argv) =>
			withContext(async ({ identity }) => {
				const o = args(argv, { id: { type: 'string' } });
				if (!o.id) {
					console.error('Нужен --id');
					return 2;
				}
				await identity.revokeAccessToken(SYSTEM_ACTOR, o.id);
				console.log('Токен отозван.');
				return 0;
			})
	},
	import: {
		summary:
			'Import people and mentoring pairs from CSV / XLSX into an organization (--dry-run lists errors)',
		usage: 'import --organization <id> --file <people.csv|people.xlsx> [--dry-run]',
		run: (argv) =>
			withContext(async ({ identity }) => {
				const o = args(argv, {
					organization: { type: 'string' },
					file: { type: 'string' },
					'dry-run': { type: 'boolean' }
				});
				if (!o.organization || !o.file) {
					console.error('Нужны --organization и --file');
					return 2;
				}
				let rows;
				try {
					rows = await readImportFile(o.file);
				} catch (error) {
					console.error(
						// CsvEncodingError and ImportFormatError carry a Russian message for the operator.
						`Не удалось прочитать файл: ${(error as { messageRu?: string }).messageRu ?? (error instanceof Error ? error.message : String(error))}`
					);
					return 1;
				}
				const dryRun = Boolean(o['dry-run']);
				const report = await importPeople(identity, SYSTEM_ACTOR, o.organization, rows, { dryRun });
				for (const line of formatImportErrors(report)) console.log(line);
				const verb = dryRun ? 'будет добавлено' : 'добавлено';
				console.log(
					`Строк: ${report.total}, с ошибками: ${report.errors.length}; ${verb}: людей ${report.adds.people}, пар ${report.adds.pairs}, согласий ${report.adds.consents}.`
				);
				if (dryRun) console.log('Пробный запуск: ничего не записано.');
				return report.errors.length > 0 && dryRun ? 3 : 0;
			})
	},
	'set-password': {
		summary:
			'Set a desktop login and password for a curator, head, coordinator or administrator (password on stdin)',
		usage: 'set-password --person <id> --login <login>  < password.txt',
		run: (argv) =>
			withContext(async ({ identity }) => {
				const o = args(argv, { person: { type: 'string' }, login: { type: 'string' } });
				if (!o.person || !o.login) {
					console.error('Нужны --person и --login; пароль читается со стандартного ввода');
					return 2;
				}
				let password = '';
				for await (const chunk of process.stdin) password += String(chunk);
				await identity.setPassword(SYSTEM_ACTOR, o.person, o.login, password.replace(/\r?\n$/, ''));
				console.log('Пароль установлен.');
				return 0;
			})
	},
	demo: {
		summary:
			'Fill a demo municipality with organizations, people and N programs from the templates',
		usage: 'demo [--programs 12] [--municipality "<name>"] [--origin <url>]',
		run: (argv) =>
			withContext(async (ctx) => {
				const o = args(argv, {
					programs: { type: 'string' },
					municipality: { type: 'string' },
					origin: { type: 'string' }
				});
				const n = Number(o.programs ?? '12');
				if (!Number.isInteger(n) || n < 1 || n > 5000) {
					console.error('--programs: от 1 до 5000');
					return 2;
				}
				const origin = linkOrigin(ctx.config.publicUrl, o.origin);
				if (origin === null) return 2;
				const result = await runDemo(ctx, { programs: n, municipality: o.municipality, origin });
				for (const line of result.lines) console.log(line);
				return 0;
			})
	}
};
