/**
 * Comments are attributed to the person who sends them: before an update from a client is stored,
 * the program core's `forgedAuthorship` (src/lib/shared/program/authorship.ts) reads, on the
 * update's bytes, the authors it asserts for new comments (and for `createdBy` set on an existing
 * item), and a name that is not the session's refuses the update (4403, nothing stored). Honest
 * phones write comments only through `ProgramEditor.postComment`, as themselves. Server edits (no
 * session) are not checked: the server writes as the curator it authenticated.
 */
import { forgedAuthorship } from '../../src/lib/shared/program/authorship.js';
import type { RelayHooks } from './hooks.js';

export const authorshipHooks: RelayHooks = {
	beforeCommit(_room, proposed) {
		if (proposed.session === null) return { accept: true };
		const reason = forgedAuthorship(proposed.update, proposed.userId);
		return reason === null ? { accept: true } : { accept: false, reason };
	}
};
