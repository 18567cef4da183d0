/**
 * Relay tunables: the relay's view of the configuration. Defaults suit one small server; each
 * value is set by a RELAY_* variable of the one configuration schema (server/config.ts).
 */
export interface RelayConfig {
	/** Largest accepted websocket message (bytes); larger → close 4413, nothing stored. */
	maxMessageBytes: number;
	/** Largest stored document (bytes of the merged update); an update that would exceed it → 4507. */
	maxDocumentBytes: number;
	/** Document-carrying messages (sync step 2 / update) per second per connection, sustained. */
	updatesPerSecond: number;
	/** Burst allowance for the update rate (token bucket size). */
	updateBurst: number;
	/** All messages per second per connection (awareness included), sustained; burst = 4×. */
	messagesPerSecond: number;
	/** Simultaneous connections per remote address (schools sit behind one NAT: keep it generous). */
	maxConnectionsPerIp: number;
	/** Unload a program this long after its last connection closed. */
	idleUnloadMs: number;
	/** Ping interval; a socket that did not answer the previous ping is terminated. */
	pingIntervalMs: number;
	/** Group commit: wait this long after the first queued update before flushing (0 = next tick). */
	flushDelayMs: number;
	/** Group commit: at least this long between two commits; an update sooner waits (commit-queue.ts). */
	commitGapMs: number;
	/** Compact a program's log when it holds this many rows (also on unload). */
	compactAfterUpdates: number;
	/** Summaries: recompute this long after the last change … */
	summaryDebounceMs: number;
	/** … but at least this often while changes keep coming. */
	summaryMaxWaitMs: number;
	/**
	 * The share of one core (percent) that background summaries may use on average; beyond it,
	 * changed programs wait their turn (issue 18). 100: no budget.
	 */
	summaryCpuPercent: number;
	/**
	 * Heap (MB, estimated) for decoded documents kept from one summary to the next
	 * (summary-docs.ts): a kept program's next summary applies only its new updates instead of
	 * decoding it whole. 0: every summary decodes the whole program.
	 */
	summaryDocsMb: number;
	/** Device facts (connections, pending counts) are written at most this often when no update flush carries them. */
	factsFlushMs: number;
	/**
	 * Reverse proxies in front of the relay whose X-Forwarded-For entries are trusted for the
	 * per-address connection limit: 0 (default) = use the socket's address; 1 = the last entry
	 * (appended by your proxy); n = the n-th entry from the end.
	 */
	trustedProxyHops: number;
	/** 0 (default): commit inline on the event loop; 1: commit in a writer thread (fsync never blocks the event loop, ~10 % more CPU and a second V8 isolate). */
	writerThread: number;
	/**
	 * 1 (default): a Yjs client id belongs to the user who first wrote under it; an update with
	 * structs under another user's client id closes its connection (4403). 0 only for the
	 * recovery after restoring an old backup, when phones re-upload their partners' edits.
	 */
	clientIdBinding: number;
}

export const DEFAULT_RELAY_CONFIG: RelayConfig = {
	maxMessageBytes: 2 * 1024 * 1024,
	maxDocumentBytes: 4 * 1024 * 1024,
	updatesPerSecond: 30,
	updateBurst: 300,
	messagesPerSecond: 60,
	maxConnectionsPerIp: 500,
	idleUnloadMs: 30_000,
	pingIntervalMs: 30_000,
	flushDelayMs: 0,
	commitGapMs: 100,
	compactAfterUpdates: 500,
	summaryDebounceMs: 2_000,
	summaryMaxWaitMs: 60_000,
	summaryCpuPercent: 2,
	summaryDocsMb: 64,
	factsFlushMs: 5_000,
	trustedProxyHops: 0,
	writerThread: 0,
	clientIdBinding: 1
};
