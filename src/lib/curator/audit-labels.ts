// What an entry of the audit log says, in Russian: the log stores action codes
// ('person.create', 'curator.accept-report'); the screen never shows them.

export const AUDIT_ACTION_LABELS: Readonly<Record<string, string>> = {
	'access-token.create': 'выдан ключ доступа',
	'access-token.revoke': 'ключ доступа отозван',
	'access.end': 'доступ прекращен',
	'consent.record': 'согласие записано',
	'consent.revoke': 'согласие отозвано',
	'credentials.set': 'задан пароль для входа',
	'invitation.create': 'выдано приглашение',
	'invitation.revoke': 'приглашение отозвано',
	'municipality.create': 'муниципалитет создан',
	'municipality.monitor': 'открыт мониторинг муниципалитета',
	'municipality.time-zone': 'изменен часовой пояс муниципалитета',
	'order.attach': 'приложен приказ',
	'order.create': 'сформирован приказ',
	'organization.create': 'организация создана',
	'organization.monitor': 'открыт мониторинг организации',
	'organization.time-zone': 'изменен часовой пояс организации',
	'organization.attributes': 'изменены вид организации и отметки ШНОР / ШССУ',
	'organization.report': 'документ организации (справка) сохранен или сдан',
	'municipality.report': 'аналитический отчет муниципалитета сохранен или сдан',
	'municipality.calendar': 'изменен календарь мониторинга муниципалитета',
	'reserve.put': 'запись в резерве управленческих кадров изменена',
	'reserve.remove': 'исключен из резерва управленческих кадров',
	'participant.add': 'добавлен в программу',
	'participant.remove': 'исключен из программы',
	'person.create': 'запись создана',
	'person.erase': 'персональные данные удалены по запросу',
	'person.import': 'запись загружена из файла',
	'person.merge': 'записи объединены',
	'person.update': 'запись изменена',
	'program.cancel': 'программа отменена',
	'program.create': 'программа создана',
	'program.read': 'программа просмотрена',
	'program.restore': 'программа восстановлена',
	'role.assign': 'назначена роль',
	'role.remove': 'роль снята',
	'session.create': 'вход на устройстве',
	'session.logout': 'выход на устройстве',
	'session.revoke': 'доступ с устройства отозван',
	'sessions.read': 'просмотрен список устройств',
	'curator.accept-report': 'отчет принят',
	'curator.return-report': 'отчет возвращен на доработку',
	'curator.comment-activity': 'комментарий куратора к мероприятию',
	'curator.complete': 'программа завершена',
	'curator.petition-change': 'ходатайство о продлении или корректировке',
	'curator.approve-change': 'продление или корректировка одобрены',
	'curator.reject-change': 'продление или корректировка отклонены',
	'curator.approve-program': 'программа утверждена',
	'curator.set-form': 'изменены форма, вид или категория'
};

// An action added later without a label still reads as Russian: by what it is about.
const ENTITY_LABELS: Readonly<Record<string, string>> = {
	person: 'изменение записи человека',
	program: 'изменение программы',
	curator: 'решение куратора',
	invitation: 'приглашение',
	session: 'вход и устройства',
	role: 'изменение ролей',
	consent: 'согласие',
	order: 'приказ',
	organization: 'изменение организации',
	municipality: 'изменение муниципалитета',
	reserve: 'резерв управленческих кадров'
};

/** «запись создана» for 'person.create'; never the code itself. */
export function auditActionLabel(action: string): string {
	return (
		AUDIT_ACTION_LABELS[action] ?? ENTITY_LABELS[action.split('.')[0] ?? ''] ?? 'действие в системе'
	);
}
