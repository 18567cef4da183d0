/**
 * The IndexedDB databases a program keeps on the device: one name for each, so that opening a
 * program and wiping the device (sign-out) agree on what exists.
 */
export function programDatabaseName(programId: string): string {
	return `nastavnik-program-${programId}`;
}

/** The IndexedDB database of the program's decisions document (last known decisions, offline). */
export function decisionsDatabaseName(programId: string): string {
	return `nastavnik-program-${programId}-decisions`;
}

/**
 * The IndexedDB database of attachment bytes (issue 17), shared by every program on the device:
 * files keyed by their SHA-256 (one copy however many programs refer to it) and the uploads the
 * server has confirmed.
 */
export const FILES_DATABASE = 'nastavnik-files';
