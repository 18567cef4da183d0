import type { ProgramTemplate } from './types';

const template: ProgramTemplate = {
	id: 'blank',
	titleRu: 'Пустая программа',
	kind: 'blank',
	source: '',
	types: [],
	durationMonths: 12,
	stages: []
};
export default template;
