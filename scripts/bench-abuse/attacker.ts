/**
 * One attack of `npm run bench:abuse` in a process of its own (attacks marked `ownProcess`), so
 * that its CPU is measured apart from the honest clients' and the /healthz probe's: started by
 * scripts/bench-abuse.ts with the context as JSON in ATTACK_CONTEXT; says `{"ready":true}` on
 * stdout once loaded, starts when a line arrives on stdin, and writes each note as
 * `{"note":…}` and, at the end, `{"cpuMs":…}` (its CPU from the start of the attack on).
 */
import { createInterface } from 'node:readline';
import { ATTACKS, type AttackContext } from './attacks';
import { token } from './server';

type Shipped = Omit<AttackContext, 'until' | 'victims' | 'token' | 'note'> & {
	id: string;
	windowMs: number;
};

const shipped = JSON.parse(process.env.ATTACK_CONTEXT ?? '{}') as Shipped;
const attack = ATTACKS.find((a) => a.id === shipped.id);
if (!attack) throw new Error(`unknown attack ${shipped.id}`);
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

const lines = createInterface({ input: process.stdin });
say({ ready: true });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
const cpu0 = process.cpuUsage();
const ctx: AttackContext = {
	...shipped,
	until: performance.now() + shipped.windowMs,
	// Only the in-process attacks touch the honest pair.
	victims: undefined as unknown as AttackContext['victims'],
	token,
	note: (text) => say({ note: text })
};
try {
	await attack.run(ctx);
} catch (error) {
	say({ note: `the attack failed: ${error instanceof Error ? error.message : String(error)}` });
}
const cpu = process.cpuUsage(cpu0);
say({ cpuMs: (cpu.user + cpu.system) / 1000 });
process.exit(0);
