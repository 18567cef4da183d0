/**
 * Server edits (curator actions, imports): run on a transient Y.Doc of the program, as the
 * author (same transaction origin as the program core's ProgramEditor), then committed and
 * broadcast like any client update. One at a time per program; resolves once durable.
 */
import * as Y from 'yjs';
import { transientDoc } from './transient-doc.js';
import { userOrigin } from '../../src/lib/shared/program/index.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import type { Commits } from './commits.js';
import type { RelayConfig } from './config.js';
import type { RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import { inspectUpdate } from './protocol.js';
import { roomSize, type Rooms } from './rooms.js';

export interface ServerEditAuthor {
	userId: string;
	role?: string;
}

export interface ServerEditResult {
	/** The update produced by the edit (null when the edit changed nothing). */
	update: Uint8Array | null;
}

export type ServerEdit = (doc: Y.Doc, author: ServerEditAuthor) => void;

export function createServerEditor(options: {
	rooms: Pick<Rooms, 'withRoom'>;
	commits: Pick<Commits, 'enqueue'>;
	hooks: Required<RelayHooks>;
	config: Pick<RelayConfig, 'maxDocumentBytes' | 'clientIdBinding'>;
	clock: Clock;
	metrics: RelayMetrics;
	log: Logger;
}) {
	const { config, metrics, log } = options;
	return function applyServerEdit(
		programId: string,
		author: ServerEditAuthor,
		edit: ServerEdit
	): Promise<ServerEditResult> {
		return options.rooms.withRoom(programId, (room) => {
			const run = room.editChain.then(async (): Promise<ServerEditResult> => {
				const doc = transientDoc();
				const updates: Uint8Array[] = [];
				try {
					Y.applyUpdate(doc, room.doc.merged());
					doc.on('update', (u: Uint8Array) => updates.push(u));
					// Same origin as the program core's ProgramEditor uses for this user.
					doc.transact(() => edit(doc, author), userOrigin(author.userId));
				} finally {
					doc.destroy();
				}
				if (updates.length === 0) return { update: null };
				const update = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
				if (roomSize(room) + update.length > config.maxDocumentBytes) {
					metrics.rejected.inc({ reason: 'document_too_large' });
					throw new Error('document too large');
				}
				const inspection = inspectUpdate(update);
				const verdict = options.hooks.beforeCommit(room, {
					update,
					userId: author.userId,
					session: null
				});
				if (!verdict.accept) throw new Error(`server edit refused: ${verdict.reason}`);
				// The edit's (fresh, random) client id is the author's from now on.
				const claims = room.doc.claimClientIds(
					author.userId,
					inspection.clients,
					config.clientIdBinding !== 0
				);
				if (claims === null) throw new Error('server edit collided with a client id in use');
				await new Promise<void>((resolve, reject) => {
					options.commits.enqueue({
						programId,
						room,
						session: null,
						update,
						ranges: inspection.ranges,
						receivedAt: options.clock.now(),
						...(claims.length > 0 ? { claims: { userId: author.userId, clientIds: claims } } : {}),
						done: { resolve, reject }
					});
				});
				log.info({ programId, author: author.userId, bytes: update.length }, 'server edit applied');
				return { update };
			});
			room.editChain = run.catch(() => undefined);
			return run;
		});
	};
}
