// The program's Russian labels, re-exported for the curator's screens (the diagnosis fields'
// labels depend on whose program it is: $lib/shared/program/audience).
export {
	ACTIVITY_STATUS_LABELS,
	CHANGE_KIND_LABELS,
	CHANGE_STATUS_LABELS,
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MEETING_FORMAT_LABELS,
	MEETING_KIND_LABELS,
	MENTEE_CATEGORY_LABELS,
	PROGRAM_STATUS_LABELS,
	REPORT_KIND_LABELS,
	REPORT_STATUS_LABELS,
	RESULT_FORM_LABELS,
	TYPE_LABELS,
	labelOf
} from '$lib/shared/program/labels';
