/**
 * The stage a stage form (StageFields: adding or renaming a stage) describes, or the message to
 * show when its title is empty.
 */
export function stageInput(
	title: string,
	months: number
): { title: string; months: number } | string {
	const t = title.trim();
	if (!t) return 'Введите название этапа.';
	return { title: t, months: Number(months) || 0 };
}
