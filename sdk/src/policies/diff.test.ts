import { lineDiff } from './diff.js';

describe('lineDiff', () => {
  it('marks added, removed and kept lines in order', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      '  a',
      '+ x',
      '- b',
      '  c',
      '+ d'
    ]);
  });

  it('diffs from and to nothing', () => {
    expect(lineDiff('', 'a\nb')).toEqual(['+ a', '+ b']);
    expect(lineDiff('a', '')).toEqual(['- a']);
    expect(lineDiff('', '')).toEqual([]);
  });
});
