import { describe, expect, it } from 'vitest';
import { minimalEdit } from './text-binding';

describe('minimalEdit', () => {
	it('finds an insertion in the middle', () => {
		expect(minimalEdit('abc', 'abXc')).toEqual({ index: 2, deleteCount: 0, insert: 'X' });
	});
	it('finds a deletion', () => {
		expect(minimalEdit('hello world', 'hello')).toEqual({ index: 5, deleteCount: 6, insert: '' });
	});
	it('finds a replacement of a selection', () => {
		expect(minimalEdit('один два три', 'один 2 три')).toEqual({
			index: 5,
			deleteCount: 3,
			insert: '2'
		});
	});
	it('handles repeated characters without over-deleting', () => {
		expect(minimalEdit('aaa', 'aaaa')).toEqual({ index: 3, deleteCount: 0, insert: 'a' });
	});
	it('returns null when nothing changed', () => {
		expect(minimalEdit('same', 'same')).toBeNull();
	});
});
