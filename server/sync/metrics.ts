import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RelayMetrics {
	connections: Gauge;
	loadedPrograms: Gauge;
	updatesIn: Counter;
	updatesOut: Counter;
	persistSeconds: Histogram;
	persistBatchUpdates: Histogram;
	commitWaitSeconds: Histogram;
	rejected: Counter<'reason'>;
	authFailures: Counter<'reason'>;
	closes: Counter<'code'>;
	// storage-safety: refusals instead of dropped bytes (docs/relay.md, "No path drops stored bytes")
	compactionsRefused: Counter<'reason'>;
	mergeFailures: Counter<'where'>;
	// issue 18: whether summaries keep up with the changes under their CPU budget
	summaries: Counter;
	summaryCpuSeconds: Counter;
	/** Tells the `relay_summaries_due` gauge how many programs wait for their summary. */
	countSummariesDue(count: () => number): void;
	/** Tells the `relay_summary_docs` gauge about the decoded documents kept for summaries. */
	countSummaryDocs(stats: () => Record<string, number>): void;
}

/** Relay metrics, registered on the server's own registry (served on /metrics). */
export function createRelayMetrics(registry: Registry): RelayMetrics {
	const registers = [registry];
	let summariesDue = () => 0;
	new Gauge({
		name: 'relay_summaries_due',
		help: 'Changed programs waiting for their summary (coalescing while the budget rests)',
		registers,
		collect() {
			this.set(summariesDue());
		}
	});
	let summaryDocs: () => Record<string, number> = () => ({});
	new Gauge({
		name: 'relay_summary_docs',
		help: 'Decoded documents kept for summaries (summary-docs.ts): documents, estimated heap bytes; since start: decodes (whole), reuses (kept one brought up to date), updates (of those, with new updates), unchanged (previous summary still right), declined (not to be kept: summarized in the worker pool), firstReads (decoded here but not kept: no recent summary of the program before)',
		labelNames: ['stat'],
		registers,
		collect() {
			for (const [stat, value] of Object.entries(summaryDocs())) this.set({ stat }, value);
		}
	});
	return {
		connections: new Gauge({
			name: 'relay_connections',
			help: 'Open relay websocket connections',
			registers
		}),
		loadedPrograms: new Gauge({
			name: 'relay_loaded_programs',
			help: 'Programs loaded in the relay',
			registers
		}),
		updatesIn: new Counter({
			name: 'relay_updates_in_total',
			help: 'Document updates accepted from clients and server edits (persisted)',
			registers
		}),
		updatesOut: new Counter({
			name: 'relay_updates_out_total',
			help: 'Document update messages delivered to connections',
			registers
		}),
		persistSeconds: new Histogram({
			name: 'relay_persist_seconds',
			help: 'Group-commit transaction latency',
			buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
			registers
		}),
		persistBatchUpdates: new Histogram({
			name: 'relay_persist_batch_updates',
			help: 'Updates per group-commit transaction',
			buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
			registers
		}),
		commitWaitSeconds: new Histogram({
			name: 'relay_commit_wait_seconds',
			help: "How long each commit's oldest update waited for it to start (its sender's acknowledgement waits at least this)",
			buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
			registers
		}),
		rejected: new Counter({
			name: 'relay_rejected_messages_total',
			help: 'Messages rejected or dropped, by reason',
			labelNames: ['reason'],
			registers
		}),
		authFailures: new Counter({
			name: 'relay_auth_failures_total',
			help: 'Refused websocket upgrades, by reason',
			labelNames: ['reason'],
			registers
		}),
		closes: new Counter({
			name: 'relay_closes_total',
			help: 'Connections closed by the relay, by close code',
			labelNames: ['code'],
			registers
		}),
		// storage-safety
		compactionsRefused: new Counter({
			name: 'relay_compactions_refused_total',
			help: 'Compactions that replaced nothing because the merge failed or missed a stored part, by reason',
			labelNames: ['reason'],
			registers
		}),
		mergeFailures: new Counter({
			name: 'relay_merge_failures_total',
			help: 'Merges of stored updates that failed (nothing was dropped: the parts were kept), by where',
			labelNames: ['where'],
			registers
		}),
		summaries: new Counter({
			name: 'relay_summaries_total',
			help: 'Program summaries computed and stored',
			registers
		}),
		summaryCpuSeconds: new Counter({
			name: 'relay_summary_cpu_seconds_total',
			help: "CPU time charged to the summaries' budget (SUMMARY_CPU_PERCENT)",
			registers
		}),
		countSummariesDue(count) {
			summariesDue = count;
		},
		countSummaryDocs(stats) {
			summaryDocs = stats;
		}
	};
}
