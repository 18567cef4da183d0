import type { IdentityService } from '../../identity/service.js';
import type { ProgramsService } from '../../programs/service.js';
import { SYSTEM_ACTOR } from '../../identity/service.js';
import { CREATABLE_TEMPLATES } from '../../../src/lib/shared/program/index.js';
import type { ParticipantRole } from '../../identity/policy.js';
import { today } from '../../../src/lib/shared/time.js';
import { planDemoProgram, type DemoScenario } from './demo-history.js';

const SCHOOLS = [
	'МАОУ «Средняя общеобразовательная школа № 1»',
	'МБОУ «Гимназия № 2»',
	'МБОУ «Основная общеобразовательная школа с. Заречное»'
];
const SURNAMES = [
	'Иванов',
	'Смирнов',
	'Кузнецов',
	'Попов',
	'Васильев',
	'Петров',
	'Соколов',
	'Михайлов',
	'Новиков',
	'Фёдоров',
	'Морозов',
	'Волков',
	'Алексеев',
	'Лебедев',
	'Семёнов',
	'Егоров'
];
const NAMES_M = ['Александр', 'Дмитрий', 'Максим', 'Сергей', 'Андрей', 'Алексей', 'Илья', 'Павел'];
const NAMES_F = ['Елена', 'Ольга', 'Татьяна', 'Наталья', 'Анна', 'Мария', 'Ирина', 'Светлана'];
const PATRONYMICS_M = ['Александрович', 'Сергеевич', 'Иванович', 'Петрович'];
const PATRONYMICS_F = ['Александровна', 'Сергеевна', 'Ивановна', 'Петровна'];
const POSITIONS_MENTOR = [
	'учитель математики',
	'учитель русского языка и литературы',
	'учитель физики',
	'заместитель директора по УВР'
];
const POSITIONS_MENTEE = [
	'учитель начальных классов',
	'учитель истории',
	'учитель английского языка',
	'педагог-психолог'
];

function fullName(i: number): string {
	const female = i % 2 === 0;
	const surname = SURNAMES[i % SURNAMES.length] ?? 'Иванов';
	const first = (female ? NAMES_F : NAMES_M)[Math.floor(i / 2) % 8] ?? 'Анна';
	const patronymic = (female ? PATRONYMICS_F : PATRONYMICS_M)[Math.floor(i / 16) % 4] ?? '';
	return `${female ? surname + 'а' : surname} ${first} ${patronymic}`;
}

/**
 * The demo municipality: three schools, a curator and a head in each, a coordinator, an
 * administrator, mentors and mentees with registry fields, N programs cycling through the templates
 * (a school roadmap with a minor mentee who has a recorded consent), each at its own point of a
 * realistic life (demo-history.ts: in progress, late, finished, cancelled, not started).
 * Prints invitation links (of the first program in progress).
 */
export async function runDemo(
	{ identity, programs }: { identity: IdentityService; programs: ProgramsService },
	opts: {
		programs: number;
		municipality?: string | undefined;
		/** The origin of the printed links (the CLI: --origin or PUBLIC_URL). */
		origin?: string;
	}
): Promise<{
	municipalityId: string;
	programIds: string[];
	lines: string[];
	scenarios: Partial<Record<DemoScenario, number>>;
}> {
	const sys = SYSTEM_ACTOR;
	const lines: string[] = [];
	const mun = await identity.createMunicipality(
		sys,
		opts.municipality ?? 'Демонстрационный муниципалитет'
	);
	const coordinator = await identity.createPerson(
		sys,
		{ municipalityId: mun.id },
		{
			fullName: 'Григорьева Наталья Викторовна',
			position: 'специалист департамента образования'
		}
	);
	await identity.assignRole(sys, coordinator.id, 'coordinator', { municipalityId: mun.id });
	const admin = await identity.createPerson(
		sys,
		{},
		{ fullName: 'Администратор Демонстрационный' }
	);
	await identity.assignRole(sys, admin.id, 'admin', {});

	const orgs = [];
	let k = 0;
	for (const name of SCHOOLS) {
		const org = await identity.createOrganization(sys, mun.id, name);
		const curator = await identity.createPerson(
			sys,
			{ organizationId: org.id },
			{
				fullName: fullName(k++),
				position: 'заместитель директора, куратор наставничества'
			}
		);
		await identity.assignRole(sys, curator.id, 'curator', { organizationId: org.id });
		const head = await identity.createPerson(
			sys,
			{ organizationId: org.id },
			{
				fullName: fullName(k++),
				position: 'директор',
				experienceYears: 12,
				mentorRequirements: {
					experience5Years: true,
					provenResults: true,
					positiveAssessment: true,
					mentoringCourse: true
				}
			}
		);
		await identity.assignRole(sys, head.id, 'head', { organizationId: org.id });
		orgs.push({ org, curator, head });
	}

	const templates = await Promise.all(
		CREATABLE_TEMPLATES.filter((t) => t.id !== 'blank').map(async (t) => ({
			id: t.id,
			months: (await t.load()).durationMonths
		}))
	);
	const scenarios: Partial<Record<DemoScenario, number>> = {};
	const programIds: string[] = [];
	let first: { programId: string; mentor: string; mentee: string } | null = null;
	let firstInProgress = false;
	for (let i = 0; i < opts.programs; i++) {
		const slot = orgs[i % orgs.length];
		const template = templates[i % templates.length];
		if (!slot || !template) continue;
		const curatorActor = await identity.actorFor(slot.curator.id);
		const mentor = await identity.createPerson(
			sys,
			{ organizationId: slot.org.id },
			{
				fullName: fullName(k++),
				position: POSITIONS_MENTOR[i % POSITIONS_MENTOR.length] ?? null,
				birthDate: `${1970 + (i % 15)}-0${1 + (i % 9)}-1${i % 10}`,
				experienceYears: 10 + (i % 20),
				category: 'высшая квалификационная категория',
				mentorRequirements: {
					experience5Years: true,
					provenResults: i % 3 !== 0,
					positiveAssessment: true,
					mentoringCourse: i % 4 !== 0
				}
			}
		);
		const studentProgram = template.id === 'learner';
		const mentee = await identity.createPerson(
			sys,
			{ organizationId: slot.org.id },
			{
				fullName: fullName(k++),
				position: studentProgram
					? 'обучающийся 8 класса'
					: (POSITIONS_MENTEE[i % POSITIONS_MENTEE.length] ?? null),
				birthDate: studentProgram ? '2012-04-15' : `${1996 + (i % 6)}-0${1 + (i % 9)}-2${i % 8}`,
				experienceYears: studentProgram ? null : i % 3,
				category: studentProgram ? null : 'без категории'
			}
		);
		if (studentProgram) {
			await identity.recordConsent(sys, mentee.id, {
				representativeName: `${mentee.fullName.split(' ')[0] ?? ''} (законный представитель)`,
				representativeRelation: 'мать',
				givenOn: '2026-09-01',
				scope:
					'обработка персональных данных для участия в программе наставничества «ученик – ученик»'
			});
		}
		const participants: Array<{ personId: string; role: ParticipantRole }> = [
			{ personId: mentor.id, role: 'mentor' },
			{ personId: mentee.id, role: 'mentee' }
		];
		// Each program at its own point of a realistic life (demo-history.ts), seeded by its number.
		const zone = await identity.registry.organizationTimeZone(slot.org.id);
		const plan = planDemoProgram(i + 1, today(zone, identity.now()), template.months, {
			mentor: mentor.id,
			mentee: mentee.id,
			curator: slot.curator.id
		});
		const program = await programs.createProgram(curatorActor, {
			organizationId: slot.org.id,
			templateId: template.id,
			startDate: plan.startDate,
			participants,
			history: plan.write
		});
		if (plan.scenario === 'cancelled')
			await programs.curatorRecords?.cancel(
				curatorActor,
				program.id,
				'created-by-mistake',
				'Пара создана повторно при заполнении банка наставников.'
			);
		programIds.push(program.id);
		scenarios[plan.scenario] = (scenarios[plan.scenario] ?? 0) + 1;
		// The links printed are of the first program in progress (else the first one).
		if (!first || (!firstInProgress && plan.scenario === 'on-track')) {
			first = { programId: program.id, mentor: mentor.id, mentee: mentee.id };
			firstInProgress = plan.scenario === 'on-track';
		}
	}

	const link = async (personId: string) =>
		(await identity.createInvitation(sys, { personId }, opts.origin)).url;
	lines.push(`Демонстрационный муниципалитет: ${mun.name} (${mun.id})`);
	lines.push(`Организаций: ${orgs.length}, программ: ${programIds.length}`);
	lines.push('Одноразовые ссылки для входа (действуют 14 дней):');
	lines.push(`  координатор ${coordinator.fullName}: ${await link(coordinator.id)}`);
	lines.push(`  администратор: ${await link(admin.id)}`);
	const o0 = orgs[0];
	if (o0) {
		lines.push(`  куратор ${o0.curator.fullName} (${o0.org.name}): ${await link(o0.curator.id)}`);
		lines.push(`  руководитель ${o0.head.fullName}: ${await link(o0.head.id)}`);
	}
	if (first) {
		lines.push(`  наставник первой программы: ${await link(first.mentor)}`);
		lines.push(`  наставляемый первой программы: ${await link(first.mentee)}`);
	}
	return { municipalityId: mun.id, programIds, lines, scenarios };
}
