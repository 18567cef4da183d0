import * as Y from 'yjs';
import { userOrigin } from './schema';

/**
 * Undo/redo of one user's own actions only. Every API call is one transaction with this user's
 * origin, so one undo step reverts one whole action (never a partner's edits). Create it after
 * the program exists (or call clear()) so that "create program" is not undoable.
 */
export function createUndoManager(
	doc: Y.Doc,
	userId: string,
	opts: { captureTimeout?: number } = {}
): Y.UndoManager {
	return new Y.UndoManager(doc, {
		trackedOrigins: new Set<unknown>([userOrigin(userId)]),
		// 0: every API action is its own undo step. A text editor binding may pass e.g. 500 so a
		// burst of typing undoes as one step.
		captureTimeout: opts.captureTimeout ?? 0
	});
}
