import { RepositoryFilter, patternWarnings } from '../../src/decisions/repository-filter';

describe('RepositoryFilter.matches', () => {
  test.each<[string, string | undefined, string | undefined, string, boolean]>([
    // neither pattern: every repository
    ['neither: a plain name', undefined, undefined, 'payments-api', true],
    ['neither: a name with slashes', undefined, undefined, 'team/platform/payments-api', true],
    // include only, unanchored: a match anywhere in the name
    ['unanchored include matches inside a path', 'prod', undefined, 'team/prod/api', true],
    ['unanchored include matches inside a word', 'prod', undefined, 'product-catalog', true],
    ['unanchored include does not match an unrelated name', 'prod', undefined, 'dev/api', false],
    // include only, anchored
    ['anchored prefix matches the path start', '^prod/', undefined, 'prod/api', true],
    ['anchored prefix does not match deeper', '^prod/', undefined, 'team/prod/api', false],
    ['anchored prefix needs the slash', '^prod/', undefined, 'prod', false],
    ['whole-name pattern matches the exact name', '^prod$', undefined, 'prod', true],
    ['whole-name pattern rejects a longer name', '^prod$', undefined, 'prod-old', false],
    ['pattern over several path segments', '^team/[^/]+/api$', undefined, 'team/payments/api', true],
    ['pattern over several path segments rejects one more segment', '^team/[^/]+/api$', undefined, 'team/payments/v2/api', false],
    ['alternation', '^(payments|billing)/', undefined, 'billing/invoices', true],
    ['matching is case-sensitive', '^Prod/', undefined, 'prod/api', false],
    // exclude only
    ['exclude only removes a match', undefined, '-sandbox$', 'team/api-sandbox', false],
    ['exclude only keeps others', undefined, '-sandbox$', 'team/api', true],
    ['unanchored exclude matches inside the name', undefined, 'tmp', 'team/tmp-builds/api', false],
    // both
    ['both: included and not excluded', '^team/', '/legacy-', 'team/api', true],
    ['both: included but excluded', '^team/', '/legacy-', 'team/legacy-api', false],
    ['both: not included', '^team/', '/legacy-', 'other/api', false],
    ['both: exclude wins when both match the same name', 'api', 'api', 'team/api', false],
  ])('%s (include %j, exclude %j, name %j) -> %s', (_label, include, exclude, name, expected) => {
    expect(new RepositoryFilter(include, exclude).matches(name)).toBe(expected);
  });

  test('repeated calls give the same answer (no regex state kept between calls)', () => {
    const filter = new RepositoryFilter('^team/', 'legacy');
    const answers = ['team/a', 'team/a', 'team/legacy', 'team/legacy', 'team/b', 'team/b'].map((n) => filter.matches(n));
    expect(answers).toEqual([true, true, false, false, true, true]);
  });
});

describe('RepositoryFilter.problem', () => {
  test.each(['^team/', 'prod', '^(a|b)/.*$', '[a-z]+', '\\d{3}'])('%j compiles: no problem', (pattern) => {
    expect(RepositoryFilter.problem('repositoryPattern', pattern)).toBeUndefined();
  });

  test('an empty pattern is a problem naming the setting and showing the value', () => {
    const problem = RepositoryFilter.problem('excludePattern', '');
    expect(problem).toBeDefined();
    expect(problem).toContain('excludePattern');
    expect(problem).toContain('must not be empty');
    expect(problem).toContain('(given "")');
  });

  test.each(['(', '[a-', '*', 'a{2,1}', '(?<name)'])('invalid regular expression %j is a problem quoting it', (pattern) => {
    const problem = RepositoryFilter.problem('repositoryPattern', pattern);
    expect(problem).toBeDefined();
    expect(problem).toContain('repositoryPattern');
    expect(problem).toContain('not a valid JavaScript regular expression');
    expect(problem).toContain(JSON.stringify(pattern));
  });
});

describe('RepositoryFilter constructor', () => {
  test('an invalid include pattern throws, naming repositoryPattern and quoting the value', () => {
    expect(() => new RepositoryFilter('team/(', undefined)).toThrow(/repositoryPattern is not a valid JavaScript regular expression.*"team\/\("/);
  });

  test('an invalid exclude pattern throws, naming excludePattern', () => {
    expect(() => new RepositoryFilter('^team/', '[')).toThrow(/excludePattern is not a valid JavaScript regular expression.*"\["/);
  });

  test('an empty include pattern throws', () => {
    expect(() => new RepositoryFilter('', undefined)).toThrow(/repositoryPattern must not be empty/);
  });

  test('both invalid: one error names both', () => {
    let message = '';
    try {
      new RepositoryFilter('(', '');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('repositoryPattern is not a valid JavaScript regular expression');
    expect(message).toContain('excludePattern must not be empty');
  });
});

describe('patternWarnings', () => {
  const SLASHES = (name: string, pattern: string) =>
    `${name} ${JSON.stringify(pattern)} looks like a JavaScript regular expression literal; it is used as the pattern's source, ` +
    'so the slashes must appear in the repository name. Give the source without slashes or flags, for example "^team-a/"';
  const UPPERCASE = (name: string, pattern: string) =>
    `${name} ${JSON.stringify(pattern)} has upper-case letters, but ECR repository names are lower case, so those parts of the pattern never match; ` +
    'write them in lower case';

  test.each<[string, string, 'Slashes' | 'Uppercase' | undefined]>([
    // regular-expression literals: anchored inside the slashes, or with flags
    ['an anchored literal', '/^team-a/', 'Slashes'],
    ['a literal anchored at the end', '/-sandbox$/', 'Slashes'],
    ['a whole-name literal', '/^app$/', 'Slashes'],
    ['a literal with flags', '/team-a/i', 'Slashes'],
    ['a literal with several flags', '/api/gu', 'Slashes'],
    ['a literal in upper case is told as a literal only', '/^Team-A/', 'Slashes'],
    // slashes that may well be part of a name
    ['slashes around a path segment, no anchor, no flag: may match inside a name', '/team-a/', undefined],
    ['a path pattern', '^team-a/api$', undefined],
    ['a lone slash', '/', undefined],
    // upper case in what must appear in the name
    ['an upper-case prefix', '^Team-A/', 'Uppercase'],
    ['one upper-case letter', 'sandboX', 'Uppercase'],
    ['upper case after an escape', '\\.Prod', 'Uppercase'],
    // upper case that is regular-expression syntax, not name text
    ['escapes such as \\D and \\S', '^\\D+\\S*$', undefined],
    ['a character class', '^[A-Za-z]+/', undefined],
    ['a Unicode property escape', '\\p{Lu}', undefined],
    ['a named group', '^(?<Team>[a-z]+)/api$', undefined],
    ['a back-reference to a named group', '^(?<Team>[a-z]+)/\\k<Team>$', undefined],
    ['lower case only', '^team-a/', undefined],
  ])('%s: %j -> %s', (_label, pattern, kind) => {
    const warnings = patternWarnings('repositoryPattern', pattern);
    if (kind === undefined) {
      expect(warnings).toEqual([]);
    } else {
      const message = kind === 'Slashes' ? SLASHES('repositoryPattern', pattern) : UPPERCASE('repositoryPattern', pattern);
      expect(warnings).toEqual([{ kind, message }]);
    }
  });

  test('the sentence names the setting as the caller does: the construct prop or the command-line flag', () => {
    expect(patternWarnings('excludePattern', 'Sandbox')[0].message).toBe(UPPERCASE('excludePattern', 'Sandbox'));
    expect(patternWarnings('--exclude-pattern', '/-sandbox$/')[0].message).toBe(SLASHES('--exclude-pattern', '/-sandbox$/'));
  });
});
