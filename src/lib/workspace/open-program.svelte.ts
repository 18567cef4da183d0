import { nextTask } from '$lib/ui/next-task';
import { decisionsDatabaseName, programDatabaseName } from '$lib/device/database-names';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
	ProgramEditor,
	ProgramValidationError,
	ROLE_LABELS,
	createUndoManager,
	readProgram,
	type Actor,
	type ProgramView
} from '$lib/shared/program';
import { catalogEntry } from './catalog-entry';
import { saveProgram } from '$lib/device/catalog';
import { ProgramSync, type SyncState } from '$lib/sync/program-sync';
import { DecisionsSync } from '$lib/sync/decisions-sync';
import { ProgramFiles } from './program-files.svelte';
import { DeviceDocument } from './device-document';

export interface Person extends Actor {
	name: string;
}

export interface Peer {
	clientId: number;
	name: string;
	role: string;
	/** What they are editing now, as a label («Затруднения»), or null. */
	editing: string | null;
}

export { programDatabaseName, decisionsDatabaseName };

const connected = (phase: SyncState['phase']) =>
	phase === 'syncing' || phase === 'pending' || phase === 'saved';

function relayUrl(): string {
	const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	return `${protocol}//${location.host}/sync`;
}

/**
 * One program open on this device: the Y.Doc loaded from IndexedDB first (no network needed),
 * then kept in sync with the relay. Screens read `view` and write through `act()`.
 */
export class OpenProgram {
	readonly doc = new Y.Doc();
	/**
	 * The decisions document, read-only here: only the server writes it (the curator's HTTP
	 * actions). Verdicts, approval and decisions on the screen come from it alone.
	 */
	readonly decisions = new Y.Doc();
	readonly awareness = new Awareness(this.doc);
	readonly editor: ProgramEditor;
	readonly undo: Y.UndoManager;
	/** Attachments' bytes on this device: attaching, the upload queue, opening (issue 17). */
	readonly files: ProgramFiles = new ProgramFiles(this);
	view = $state.raw<ProgramView | null>(null);
	syncState = $state.raw<SyncState>({
		phase: 'connecting',
		pending: 0,
		savedAt: null,
		closeCode: null
	});
	peers = $state.raw<Peer[]>([]);
	/**
	 * False while the browser's store is not open (a full disk, a corrupted profile, an eviction
	 * not yet recovered from): the program is then in this tab alone, and the screen says so
	 * (what is typed offline would be lost with the tab).
	 */
	readonly keptOnDevice = $derived.by(() => this.#kept.program && this.#kept.decisions);
	#kept = $state({ program: true, decisions: true });
	canUndo = $state(false);
	canRedo = $state(false);

	#stored: DeviceDocument | null = null;
	#decisionsStored: DeviceDocument | null = null;
	#decisionsSync: DecisionsSync | null = null;
	#sync: ProgramSync | null = null;
	#refreshQueued = false;
	/** Transactions that changed the program or its decisions (a read before them is stale). */
	#changes = 0;
	#loaded = false;
	#catalogTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;

	constructor(
		readonly programId: string,
		readonly person: Person,
		readonly deviceId: string,
		/** Changes not yet confirmed by the relay (the device catalog's count), read alongside the load. */
		readonly initialPending: number | Promise<number> = 0
	) {
		this.editor = new ProgramEditor(
			this.doc,
			{ userId: person.userId, role: person.role },
			{ decisions: this.decisions, decisionsReadOnly: true }
		);
		this.undo = createUndoManager(this.doc, person.userId, { captureTimeout: 600 });
		const onStack = () => {
			this.canUndo = this.undo.undoStack.length > 0;
			this.canRedo = this.undo.redoStack.length > 0;
		};
		this.undo.on('stack-item-added', onStack);
		this.undo.on('stack-item-popped', onStack);
		this.undo.on('stack-cleared', onStack);
		// afterTransaction, not 'update': a document with an 'update' listener re-encodes every
		// transaction for it, and loading a two-year program from the device is one transaction
		// of its whole history (encoding it again cost a fifth of the cold start).
		// Not before open() has read the loaded view itself: the loading transaction's refresh would
		// read and render the whole program inside the task that applies the stored history, and
		// open() would then read and render it a second time.
		const refreshAfter = (transaction: Y.Transaction) => {
			if (transaction.changed.size === 0 && transaction.deleteSet.clients.size === 0) return;
			this.#changes++;
			if (this.#loaded) this.#queueRefresh();
		};
		this.doc.on('afterTransaction', refreshAfter);
		this.decisions.on('afterTransaction', refreshAfter);
		this.awareness.setLocalStateField('user', {
			name: person.name,
			role: ROLE_LABELS[person.role] ?? person.role
		});
		this.awareness.on('change', () => this.#readPeers());
	}

	/**
	 * Resolves once the program's view is read from local data, ready to render; the network
	 * catches up later: the relay connections start in the next task, after the screen has
	 * rendered what the device holds (their set-up is no part of showing the program).
	 */
	async open(): Promise<void> {
		const kept = (which: 'program' | 'decisions') => (now: boolean) => {
			this.#kept[which] = now;
			// Written once the store is back (skipped while it was not).
			if (this.keptOnDevice && this.#loaded) this.#scheduleCatalog();
		};
		this.#stored = new DeviceDocument(
			programDatabaseName(this.programId),
			this.doc,
			kept('program')
		);
		this.#decisionsStored = new DeviceDocument(
			decisionsDatabaseName(this.programId),
			this.decisions,
			kept('decisions')
		);
		await Promise.all([this.#stored.loaded, this.#decisionsStored.loaded]);
		performance.mark('nastavnik:program-loaded');
		// Applying the stored history, reading the view and rendering it are three tasks, not one
		// long one: a phone stays responsive to a tap in between (in Lighthouse's trace of a
		// two-year program, read + render were one task of 106 ms at its 4× slowdown).
		await nextTask();
		if (this.#destroyed) return;
		// Loading is not an action the user could undo.
		this.undo.clear();
		const changes = this.#changes;
		let view = readProgram(this.doc, this.decisions);
		performance.mark('nastavnik:program-read');
		await nextTask();
		if (this.#destroyed) return;
		// Nothing but the device writes before the relay connects; read again if it did.
		if (this.#changes !== changes) view = readProgram(this.doc, this.decisions);
		this.#loaded = true;
		this.#refresh(view);
		setTimeout(() => void this.#connect(), 0);
	}

	async #connect(): Promise<void> {
		const initialPending = await this.initialPending;
		const stored = this.#stored;
		if (!stored || this.#destroyed) return;
		this.#sync = new ProgramSync({
			programId: this.programId,
			doc: this.doc,
			serverUrl: relayUrl(),
			deviceId: this.deviceId,
			initialPending,
			// The first store's loading is the device's copy, not a change. A store that takes
			// over loads an empty database after an eviction, and after a store that did not open
			// what that one never loaded: changes, maybe unsent, counted until the relay has them.
			ignoredOrigins: [stored.origin],
			awareness: this.awareness,
			onState: (state) => {
				// Back in touch with the server: the upload queue tries again at once.
				if (connected(state.phase) && !connected(this.syncState.phase)) this.files.kick(true);
				this.syncState = state;
				this.#scheduleCatalog();
			}
		});
		this.syncState = this.#sync.state;
		this.#sync.start();
		this.#decisionsSync = new DecisionsSync({
			programId: this.programId,
			doc: this.decisions,
			serverUrl: relayUrl(),
			deviceId: this.deviceId
		});
		this.#decisionsSync.start();
		this.files.start();
	}

	/** Runs one user action; returns a Russian error message for the user, or null. */
	act(action: (editor: ProgramEditor) => void): string | null {
		try {
			action(this.editor);
			return null;
		} catch (error) {
			if (error instanceof ProgramValidationError) return error.messageRu;
			console.error('program action failed', error);
			return 'Не удалось сохранить изменение. Попробуйте ещё раз.';
		}
	}

	/** Tells partners what this person is editing (awareness), or null when they stop. */
	setEditing(label: string | null): void {
		this.awareness.setLocalStateField('editing', label);
	}

	retrySync(): void {
		this.#sync?.retry();
	}

	destroy(): void {
		this.#destroyed = true;
		if (this.#catalogTimer) {
			clearTimeout(this.#catalogTimer);
			this.#writeCatalog();
		}
		this.#sync?.destroy();
		this.#decisionsSync?.destroy();
		this.files.destroy();
		this.awareness.destroy();
		this.#stored?.destroy();
		this.#decisionsStored?.destroy();
		this.doc.destroy();
		this.decisions.destroy();
	}

	#queueRefresh(): void {
		// Coalesce the updates of one task into one read, but still render before the next frame.
		if (this.#refreshQueued) return;
		this.#refreshQueued = true;
		queueMicrotask(() => {
			this.#refreshQueued = false;
			if (!this.#destroyed) this.#refresh();
		});
	}

	#refresh(view: ProgramView = readProgram(this.doc, this.decisions)): void {
		this.view = view;
		this.#scheduleCatalog();
	}

	#readPeers(): void {
		const peers: Peer[] = [];
		this.awareness.getStates().forEach((state, clientId) => {
			if (clientId === this.doc.clientID) return;
			const user = state.user as { name?: unknown; role?: unknown } | undefined;
			if (!user || typeof user.name !== 'string') return;
			peers.push({
				clientId,
				name: user.name.slice(0, 80),
				role: typeof user.role === 'string' ? user.role.slice(0, 40) : '',
				editing: typeof state.editing === 'string' ? state.editing.slice(0, 80) : null
			});
		});
		this.peers = peers;
	}

	#scheduleCatalog(): void {
		if (this.#catalogTimer) return;
		this.#catalogTimer = setTimeout(() => {
			this.#catalogTimer = null;
			this.#writeCatalog();
		}, 400);
	}

	#writeCatalog(): void {
		// While the program's store is not open, neither is the catalog's (one store per origin).
		if (!this.view || !this.keptOnDevice) return;
		void saveProgram(
			catalogEntry(this.programId, this.view, this.person.role, this.syncState)
		).catch((error: unknown) => console.error('device catalog write failed', error));
	}
}
