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
