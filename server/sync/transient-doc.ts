/**
 * A Y.Doc the server builds for a moment (a summary, a decision, a server edit, a rendering) and
 * destroys. `new Y.Doc()` draws a random v4 guid — 31 calls of crypto.getRandomValues, each a
 * synchronous randomFillSync — which cost the relay's event loop ~4 % of its time under 200
 * editing pairs (bench:abuse profile, summaries and decision reads). A transient document is no
 * subdocument and never meets a provider, so its guid is never used: a fixed one is enough. Its
 * client id stays random (the edits it makes are written under it).
 */
import * as Y from 'yjs';

export function transientDoc(): Y.Doc {
	return new Y.Doc({ guid: 'nastavnik-transient' });
}
