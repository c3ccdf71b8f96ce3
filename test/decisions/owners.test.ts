import { OwnerDecision, OwnerInput, OwnerRule, UNOWNED, decideOwner, isOwnerName, ownerProblem, parseOwnerRules } from '../../src/decisions/owners';

const RULES: OwnerRule[] = [
  { pattern: '^team-a/', owner: 'team-a' },
  { pattern: '^team-', owner: 'platform' },
  { pattern: 'payments', owner: 'Payments Squad' },
];

function input(repositoryName: string, overrides: Partial<OwnerInput> = {}): OwnerInput {
  return { repositoryName, rules: RULES, ...overrides };
}

describe('decideOwner: the module comment\'s table', () => {
  interface Row {
    readonly situation: string;
    readonly input: OwnerInput;
    readonly expected: OwnerDecision;
  }
  const TABLE: Row[] = [
    // `ownerTagKey` set, the repository has that tag with a valid value: the tag's value.
    { situation: 'tag: the tag\'s value, before any rule', input: input('team-a/api', { tagOwner: 'team-payments' }), expected: { owner: 'team-payments', source: 'tag' } },
    { situation: 'tag: a value with spaces and the other allowed characters', input: input('x/y', { tagOwner: 'Team A_1.2:prod/eu=+@-x' }), expected: { owner: 'Team A_1.2:prod/eu=+@-x', source: 'tag' } },
    { situation: 'tag: with no rules at all', input: input('x/y', { tagOwner: 'team-b', rules: [] }), expected: { owner: 'team-b', source: 'tag' } },

    // no such tag (or the tags could not be read), a `repositoryOwners` pattern matches: that rule's owner, first match wins.
    { situation: 'pattern: no tag, the first matching rule', input: input('team-a/api'), expected: { owner: 'team-a', source: 'pattern' } },
    { situation: 'pattern: the first rule does not match, the second does', input: input('team-b/api'), expected: { owner: 'platform', source: 'pattern' } },
    { situation: 'pattern: unanchored, inside the name', input: input('billing/payments-api'), expected: { owner: 'Payments Squad', source: 'pattern' } },
    { situation: 'pattern: a tag value that is no owner name falls back to the rules', input: input('team-a/api', { tagOwner: '-not valid!' }), expected: { owner: 'team-a', source: 'pattern' } },
    { situation: 'pattern: a tag valued UNOWNED falls back to the rules', input: input('team-a/api', { tagOwner: UNOWNED }), expected: { owner: 'team-a', source: 'pattern' } },
    { situation: 'pattern: an empty tag value falls back to the rules', input: input('team-a/api', { tagOwner: '' }), expected: { owner: 'team-a', source: 'pattern' } },
    { situation: 'pattern: a tag value over 128 characters falls back to the rules', input: input('team-a/api', { tagOwner: 'a'.repeat(129) }), expected: { owner: 'team-a', source: 'pattern' } },

    // neither: nobody.
    { situation: 'neither: no tag, no rule matches', input: input('other/api'), expected: { source: 'none' } },
    { situation: 'neither: no tag, no rules', input: input('team-a/api', { rules: [] }), expected: { source: 'none' } },
    { situation: 'neither: a bad tag value, no rule matches', input: input('other/api', { tagOwner: 'bad value!' }), expected: { source: 'none' } },
  ];

  test.each(TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    expect(decideOwner(row.input)).toEqual(row.expected);
  });
});

describe('ownerProblem and isOwnerName', () => {
  const BAD = (name: string, given: string) =>
    `${name} must be 1 to 128 letters, digits, spaces or _.:/=+@- starting with a letter or digit, for example "team-payments" (given ${given})`;

  test.each(['team-a', 'a', 'Team Payments', '0day', 'team_a.b:c/d=e+f@g-h', 'a'.repeat(128), 'Unowned', 'UNOWNED-2'])('%j is an owner name', (name) => {
    expect(ownerProblem('owner', name)).toBeUndefined();
    expect(isOwnerName(name)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['empty', ''],
    ['starting with a dash', '-team'],
    ['starting with a space', ' team'],
    ['an exclamation mark', 'team!'],
    ['a comma', 'team,a'],
    ['non-ASCII letters', 'équipe'],
    ['129 characters', 'a'.repeat(129)],
    ['a number', 42],
    ['missing', undefined],
  ])('%s: the name quoted, with the rule', (_label, owner) => {
    expect(ownerProblem('repositoryOwners[2].owner', owner)).toBe(BAD('repositoryOwners[2].owner', JSON.stringify(owner) ?? 'undefined'));
    if (typeof owner === 'string') expect(isOwnerName(owner)).toBe(false);
  });

  test('UNOWNED is reserved for the reports nobody owns', () => {
    expect(UNOWNED).toBe('UNOWNED');
    expect(ownerProblem('owner', 'UNOWNED')).toBe('owner must not be "UNOWNED", which marks reports that nobody owns; choose another name');
    expect(isOwnerName('UNOWNED')).toBe(false);
  });
});

describe('parseOwnerRules: the environment\'s form', () => {
  test.each([undefined, ''])('%j: no rules', (json) => {
    expect(parseOwnerRules(json)).toEqual([]);
  });

  test('rules as the construct writes them, in order; other fields dropped', () => {
    const json = JSON.stringify([{ pattern: '^team-a/', owner: 'team-a' }, { pattern: 'payments', owner: 'Payments Squad', note: 'x' }]);
    expect(parseOwnerRules(json)).toEqual([
      { pattern: '^team-a/', owner: 'team-a' },
      { pattern: 'payments', owner: 'Payments Squad' },
    ]);
  });

  test.each<[string, string, string | RegExp]>([
    ['not JSON', 'team-a', /not valid JSON/],
    ['an object', '{"pattern":"^a","owner":"a"}', 'repository owners must be a JSON list'],
    ['an owner named UNOWNED', '[{"pattern":"^a","owner":"UNOWNED"}]', 'repositoryOwners[0].owner must not be "UNOWNED", which marks reports that nobody owns; choose another name'],
    ['a bad owner in the second rule', '[{"pattern":"^a","owner":"a"},{"pattern":"^b","owner":"b!"}]', /^repositoryOwners\[1\]\.owner must be 1 to 128 letters/],
    ['a rule without an owner', '[{"pattern":"^a"}]', /^repositoryOwners\[0\]\.owner must be 1 to 128 letters.*\(given undefined\)$/],
    ['a rule that is null', '[null]', /^repositoryOwners\[0\]\.owner must be 1 to 128 letters.*\(given undefined\)$/],
    ['a rule without a pattern', '[{"owner":"a"}]', 'repositoryOwners[0].pattern must be a regular expression\'s source'],
    ['a pattern that is not a regular expression', '[{"pattern":"(","owner":"a"}]', /Invalid regular expression/],
  ])('%s throws', (_label, json, expected) => {
    expect(() => parseOwnerRules(json)).toThrow(expected);
  });
});
