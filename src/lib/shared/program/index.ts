// Public API of the program document core, shared by the browser client and the Node relay.
// Depends on yjs only; no UI, no server code.
export {
	SCHEMA_VERSION,
	ROOT,
	DIAGNOSIS_FIELDS,
	userOrigin,
	randomId,
	seededIds,
	type Actor,
	type DiagnosisField,
	type UserOrigin
} from './schema';
export * from './labels';
export {
	LEARNER_FORMS,
	isLearnerForm,
	isLearnerProgram,
	diagnosisLabels,
	resultFormsFor,
	type FieldLabel
} from './audience';
export { isIsoDate, addMonths, addDays, daysBetween, calendarDate, type IsoDate } from './dates';
export { keyBetween, compareOrder, isOrderKey } from './order';
export { ProgramValidationError, LIMITS, type ValidationCode } from './validate';
export {
	readProgram,
	readCacheOf,
	type ReadCache,
	programToJSON,
	writableByThisApp,
	MAX_PROBLEMS,
	type ProgramView,
	type ProgramMeta,
	type ParticipantView,
	type StageView,
	type ActivityView,
	type MeetingView,
	type ReportView,
	type CommentView,
	type DiscussionView,
	type DiscussionTarget,
	DISCUSSION_MAX,
	type ChangeRequestView,
	type AssessmentView,
	type FeedbackView,
	type CompletionView,
	type DiagnosisView,
	type ItemMeta
} from './read';
export {
	stageTimeline,
	defaultDeadline,
	programEndDate,
	approvedExtensionMonths,
	currentStage,
	progress,
	overdueActivities,
	nextDeadline,
	expectedReports,
	writtenNotOwed,
	reportsDue,
	semiannualDeadlines,
	reportKey,
	reportsByKey,
	canComplete,
	canRequestChange,
	canApproveChange,
	canBecomeCase,
	requiredConsents,
	missingConsents,
	effectiveStatus,
	type StageSpan,
	type CurrentStage,
	type StagePhase,
	type Progress,
	type ExpectedReport,
	type RuleResult
} from './rules';
export {
	DECISIONS_ROOT,
	DECISIONS_SUFFIX,
	PROGRAM_DECISION_STARTED,
	decisionsDocumentId,
	decisionsEmpty,
	decisionsRoot
} from './decisions';
export {
	templateKindOf,
	mentorReportsRequired,
	programApprover,
	stageDocumentForm,
	halfYearLabel,
	type Approver,
	type StageDocumentForm
} from './regulation';
export { programTerm, type TermSource } from './term';
export { importLegacyDecisions, LEGACY_IMPORT_ORIGIN } from './legacy-decisions';
export {
	summarize,
	summarizeView,
	summaryDay,
	SUMMARY_ROOTS,
	SUMMARY_VERSION,
	type ProgramSummary
} from './summary';
export {
	ProgramEditor,
	type EditorOptions,
	type TextRef,
	type MetaPatch,
	type NewActivity,
	type ActivityPatch,
	type NewMeeting,
	type ReportTarget,
	type NewAttachment,
	checkAttachment
} from './api';
export {
	readAttachments,
	referencedHashes,
	ATTACHMENT_TARGETS,
	type AttachmentTarget,
	type AttachmentView
} from './attachments';
export {
	createProgram,
	checkTerm,
	termText,
	fitStageMonths,
	type CreateProgramOptions
} from './create';
export { createUndoManager } from './undo';
export {
	TEMPLATES,
	CREATABLE_TEMPLATES,
	loadTemplate,
	termOf,
	type ProgramTemplate,
	type ProgramTerm,
	type TemplateInfo,
	type TemplateStage,
	type TemplateActivity
} from './templates/index';
