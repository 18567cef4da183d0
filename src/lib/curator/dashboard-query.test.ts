import { describe, expect, it } from 'vitest';
import {
	DEFAULT_FILTERS,
	activeFilterCount,
	filtersFromSearch,
	filtersToSearch,
	onlySearchDiffers
} from './dashboard-query';

describe('dashboard filters in the URL', () => {
	it('round-trips every filter, the sort, the page and the threshold', () => {
		const f = {
			...DEFAULT_FILTERS,
			q: 'Иванова',
			stage: 'in-progress',
			status: 'active',
			templateId: 'tomsk-heads-beginner',
			flags: ['overdue' as const, 'pending-sync' as const],
			sort: 'progress',
			dir: 'desc' as const,
			offset: 25,
			staleDays: 14
		};
		const search = filtersToSearch(f, 'organization:abc');
		expect(search).toContain('scope=organization%3Aabc');
		expect(filtersFromSearch(search)).toEqual(f);
	});

	it('leaves the defaults out: a plain dashboard keeps a plain address', () => {
		expect(filtersToSearch({ ...DEFAULT_FILTERS, flags: [] }, 'organization:abc')).toBe(
			'?scope=organization%3Aabc'
		);
		expect(filtersFromSearch('?scope=organization:abc')).toEqual(DEFAULT_FILTERS);
	});

	it('reads a hand-edited or hostile address as the defaults, not as an error', () => {
		const f = filtersFromSearch(
			'?offset=-5&dir=sideways&staleDays=100000&sort=%3Cscript%3E&flags=overdue,%3Cx%3E&q=' +
				'я'.repeat(5000)
		);
		expect(f.offset).toBe(0);
		expect(f.dir).toBe('asc');
		expect(f.staleDays).toBeNull();
		expect(f.sort).toBe('title');
		expect(f.flags).toEqual(['overdue']);
		expect(f.q.length).toBe(200);
	});

	it('tells typing in the search box from choosing a filter (one history entry per search)', () => {
		const a = { ...DEFAULT_FILTERS, q: 'Ив' };
		expect(onlySearchDiffers(a, { ...a, q: 'Иван' })).toBe(true);
		expect(onlySearchDiffers(a, { ...a, q: 'Иван', stage: 'finished' })).toBe(false);
		expect(onlySearchDiffers(a, { ...a })).toBe(false);
	});

	it('counts the filters that are on: search text, choices (the organization kind too), flags', () => {
		expect(activeFilterCount(DEFAULT_FILTERS)).toBe(0);
		expect(activeFilterCount({ ...DEFAULT_FILTERS, q: '   ' })).toBe(0);
		expect(
			activeFilterCount({
				...DEFAULT_FILTERS,
				q: 'Иван',
				orgKind: 'oo',
				sort: 'stage',
				flags: ['overdue', 'stale']
			})
		).toBe(4);
	});
});
