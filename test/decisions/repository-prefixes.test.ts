import fc from 'fast-check';
import { RepositoryFilter } from '../../src/decisions/repository-filter';
import { MAX_PREFIXES, literalPrefixes } from '../../src/decisions/repository-prefixes';

describe('literalPrefixes: the table', () => {
  test.each<[string, string, string[] | undefined]>([
    // `^` before anything else in every alternative
    ['an anchored literal', '^team-a/', ['team-a/']],
    ['an unanchored literal has no prefix', 'team-a/', undefined],
    ['one alternative unanchored', '^a|b', undefined],
    ['every alternative anchored', '^a/|^b/', ['a/', 'b/']],
    ['anchors inside a group, one per alternative', '(?:^a|^b)c', ['ac', 'bc']],
    ['an anchor inside an optional group does not anchor', '(?:^a)?b', undefined],
    ['an optional anchor after a character does not rule the alternative out', 'x(?:^a)?|^c', undefined],
    ['an empty alternative matches every name', '^a|', undefined],
    // `^` after a character
    ['an alternative that can never match is left out', 'a^b|^c', ['c']],
    ['a pattern that can never match has no prefix', 'a^b', undefined],
    // plain characters and punctuation escapes
    ['escaped dot, slash and dash are literals', '^team\\.a\\/b\\-c', ['team.a/b-c']],
    ['other punctuation is literal too', '^a:b@c', ['a:b@c']],
    // groups
    ['a capturing group with alternation', '^(team-a|team-b)/', ['team-a/', 'team-b/']],
    ['a non-capturing group with alternation', '^(?:team-a|team-b)/', ['team-a/', 'team-b/']],
    ['a named group', '^(?<team>a|b)/', ['a/', 'b/']],
    ['nested groups multiply', '^(a|b)(c|d)', ['ac', 'ad', 'bc', 'bd']],
    ['an empty group', '^()a', ['a']],
    // optional quantifiers
    ['? ends before its character', '^ab?c', ['a']],
    ['* ends before its character', '^ab*', ['a']],
    ['{0,n} ends before its character', '^ab{0,3}', ['a']],
    ['{0} ends before its character', '^ab{0}c', ['a']],
    ['{0,} ends before its character', '^ab{0,}c', ['a']],
    ['a lazy ?? ends before its character', '^ab??', ['a']],
    ['an optional first character leaves nothing', '^a?b', undefined],
    ['an optional group ends before the group', '^a(?:bc)?d', ['a']],
    // repeated at least once
    ['+ keeps its character, then ends', '^ab+c', ['ab']],
    ['{n} keeps its character once, then ends', '^ab{3}c', ['ab']],
    ['{n,m} keeps its character once, then ends', '^ab{2,4}c', ['ab']],
    ['{n,} keeps its character once, then ends', '^ab{2,}c', ['ab']],
    ['a lazy +? keeps its character', '^ab+?c', ['ab']],
    ['+ on a group keeps each alternative once', '^(a|b)+c', ['a', 'b']],
    // classes, dots and letter escapes
    ['a class ends it', '^team/[ab]', ['team/']],
    ['a class first leaves nothing', '^[ab]/', undefined],
    ['a dot ends it', '^a.b', ['a']],
    ['a dot first leaves nothing', '^.*', undefined],
    ['\\d ends it', '^v\\d', ['v']],
    ['\\w ends it', '^a\\wb', ['a']],
    ['\\s ends it', '^a\\sb', ['a']],
    ['a control escape ends it', '^a\\tb', ['a']],
    ['a hexadecimal escape ends it', '^a\\x62', ['a']],
    ['a letter escape of Annex B ends it', '^a\\ab', ['a']],
    // assertions and backreferences
    ['$ ends it', '^team-a$', ['team-a']],
    ['\\b ends it', '^a\\bb', ['a']],
    ['a lookahead ends it', '^a(?=b)b', ['a']],
    ['a negative lookahead ends it', '^a(?!x)', ['a']],
    ['a lookbehind ends it', '^a(?<=a)b', ['a']],
    ['a backreference ends it', '^(a|b)\\1c', ['a', 'b']],
    ['a named backreference ends it', '^(?<t>a)\\k<t>c', ['a']],
    // characters outside printable ASCII
    ['a non-ASCII character ends it', '^aé', ['a']],
    // covered prefixes
    ['a prefix that starts with another is dropped', '^(a|ab)', ['a']],
    ['a longer prefix is dropped whichever comes first', '^ab|^a', ['a']],
    ['the same prefix twice is given once', '^a|^a', ['a']],
    // no prefixes
    ['an empty prefix', '^$', undefined],
    ['an escaped * is an IAM wildcard', '^a\\*', undefined],
    ['an escaped ? is an IAM wildcard', '^a\\?', undefined],
    ['an escaped $ could start an IAM policy variable', '^a\\$\\{aws:username\\}', undefined],
    [`${MAX_PREFIXES} prefixes are enough`, `^(${Array.from({ length: MAX_PREFIXES }, (_, i) => `t${i}`).join('|')})/`, Array.from({ length: MAX_PREFIXES }, (_, i) => `t${i}/`)],
    [`${MAX_PREFIXES + 1} prefixes are too many`, `^(${Array.from({ length: MAX_PREFIXES + 1 }, (_, i) => `t${i}`).join('|')})/`, undefined],
    ['too many paths while reading', '^(a|b)(a|b)(a|b)(a|b)(a|b)', undefined],
    ['an invalid pattern', '^(a', undefined],
    ['a trailing backslash', '^a\\', undefined],
    ['a literal {', '^a{', undefined],
    ['a literal }', '^a}', undefined],
    ['a literal ]', '^a]', undefined],
    ['an unknown group form', '^(?i:a)b', undefined],
  ])('%s: %j gives %j', (_label, pattern, expected) => {
    expect(literalPrefixes(pattern)).toEqual(expected);
  });
});

/** A pattern's syntax tree: enough of JavaScript's regular expressions to meet every row of the table. */
type Node =
  | { readonly kind: 'char'; readonly source: string; readonly char: string }
  | { readonly kind: 'class'; readonly source: string; readonly members: readonly string[] }
  | { readonly kind: 'assertion'; readonly source: string }
  | { readonly kind: 'group'; readonly open: string; readonly alternatives: readonly Node[][] }
  | { readonly kind: 'lookaround'; readonly open: string; readonly alternatives: readonly Node[][] }
  | { readonly kind: 'repeat'; readonly node: Node; readonly quantifier: string; readonly min: number; readonly max: number };

/** Characters of names, with those IAM reads as wildcards and those a pattern must escape. */
const NAME_CHARS = ['a', 'b', 'c', '-', '/', '_', '0', '.', '*', '?', '$'];

const plainChar = fc.constantFrom('a', 'b', 'c', '-', '/', '_', '0').map((c): Node => ({ kind: 'char', source: c, char: c }));
const escapedChar = fc.constantFrom('.', '/', '-', '*', '?', '$').map((c): Node => ({ kind: 'char', source: `\\${c}`, char: c }));
const characterClass = fc.constantFrom<Node>(
  { kind: 'class', source: '[ab]', members: ['a', 'b'] },
  { kind: 'class', source: '[^a]', members: ['b', 'c', '/'] },
  { kind: 'class', source: '[a-c/]', members: ['a', 'b', 'c', '/'] },
  { kind: 'class', source: '.', members: ['a', '-', '/', '*'] },
  { kind: 'class', source: '\\d', members: ['0'] },
  { kind: 'class', source: '\\w', members: ['a', '_', '0'] },
);
/** Zero-width in the names spelled: `^`, `$`, `\b`, and a backreference (group 1's text, or an octal escape without a group). */
const assertion = fc.constantFrom<Node>({ kind: 'assertion', source: '^' }, { kind: 'assertion', source: '$' }, { kind: 'assertion', source: '\\b' }, { kind: 'assertion', source: '\\1' });
const quantifier = fc.constantFrom(
  { quantifier: '?', min: 0, max: 1 },
  { quantifier: '*', min: 0, max: 3 },
  { quantifier: '+', min: 1, max: 3 },
  { quantifier: '{0,2}', min: 0, max: 2 },
  { quantifier: '{1,2}', min: 1, max: 2 },
  { quantifier: '{2}', min: 2, max: 2 },
  { quantifier: '??', min: 0, max: 1 },
  { quantifier: '+?', min: 1, max: 3 },
);

const { node } = fc.letrec<{ node: Node; alternatives: Node[][]; sequence: Node[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: plainChar, weight: 8 },
    { arbitrary: escapedChar, weight: 2 },
    { arbitrary: characterClass, weight: 2 },
    { arbitrary: assertion, weight: 2 },
    {
      arbitrary: fc.tuple(fc.constantFrom('(', '(?:', '(?<g>'), tie('alternatives')).map(([open, alternatives]): Node => ({ kind: 'group', open, alternatives })),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(fc.constantFrom('(?=', '(?!', '(?<='), tie('alternatives')).map(([open, alternatives]): Node => ({ kind: 'lookaround', open, alternatives })),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(fc.oneof(plainChar, escapedChar, characterClass, tie('node')), quantifier).map(([n, q]): Node => ({ kind: 'repeat', node: n, ...q })),
      weight: 3,
    },
  ),
  alternatives: fc.array(tie('sequence'), { minLength: 1, maxLength: 3 }),
  sequence: fc.array(tie('node'), { maxLength: 5 }),
}));

const START: Node = { kind: 'assertion', source: '^' };

/** A literal run: what most real patterns start with after `^`. */
const literalRun = fc.array(fc.oneof({ arbitrary: plainChar, weight: 4 }, { arbitrary: escapedChar, weight: 1 }), { maxLength: 4 });

/** A whole pattern's alternatives, nine in ten of them anchored; most start with a literal run. */
const tree = fc.array(
  fc
    .tuple(fc.integer({ min: 0, max: 9 }), literalRun, fc.array(node, { maxLength: 5 }))
    .map(([dice, run, sequence]) => (dice > 0 ? [START, ...run, ...sequence] : [...run, ...sequence])),
  { minLength: 1, maxLength: 3 },
);

function render(alternatives: readonly Node[][]): string {
  return alternatives.map((sequence) => sequence.map(renderNode).join('')).join('|');
}

function renderNode(n: Node): string {
  switch (n.kind) {
    case 'char':
    case 'class':
    case 'assertion':
      return n.source;
    case 'group':
    case 'lookaround':
      return `${n.open}${render(n.alternatives)})`;
    case 'repeat':
      return `${renderNode(n.node)}${n.quantifier}`;
  }
}

/** The pattern's source, its named groups numbered (a name may appear once). */
function source(alternatives: readonly Node[][]): string {
  let group = 0;
  return render(alternatives).replace(/\(\?<g>/g, () => `(?<g${group++}>`);
}

/** Names the pattern's own parts spell: often a match, since each part is sampled from what it matches. */
function spelled(alternatives: readonly Node[][]): fc.Arbitrary<string> {
  return fc.oneof(...alternatives.map((sequence) => fc.tuple(fc.constant(''), ...sequence.map(spell)).map((parts) => parts.join(''))));
}

function spell(n: Node): fc.Arbitrary<string> {
  switch (n.kind) {
    case 'char':
      return fc.constant(n.char);
    case 'class':
      return fc.constantFrom(...n.members);
    case 'assertion':
    case 'lookaround':
      return fc.constant('');
    case 'group':
      return spelled(n.alternatives);
    case 'repeat':
      return fc
        .integer({ min: n.min, max: n.max })
        .chain((count) => fc.tuple(fc.constant(''), ...Array.from({ length: count }, () => spell(n.node))).map((parts) => parts.join('')));
  }
}

const noise = fc.array(fc.constantFrom(...NAME_CHARS), { maxLength: 4 }).map((cs) => cs.join(''));
const randomName = fc.array(fc.constantFrom(...NAME_CHARS), { maxLength: 12 }).map((cs) => cs.join(''));

/** A pattern (valid, as the construct's validation requires) and a name: spelled from the pattern, with noise around, or random. */
const patternAndName = tree
  .map((alternatives) => ({ alternatives, pattern: source(alternatives) }))
  .filter(({ pattern }) => pattern !== '' && RepositoryFilter.problem('repositoryPattern', pattern) === undefined)
  .chain(({ alternatives, pattern }) => {
    const own = spelled(alternatives);
    const name = fc.oneof(
      { arbitrary: own, weight: 4 },
      { arbitrary: fc.tuple(own, noise).map((parts) => parts.join('')), weight: 2 },
      { arbitrary: fc.tuple(noise, own, noise).map((parts) => parts.join('')), weight: 1 },
      { arbitrary: randomName, weight: 1 },
    );
    return fc.tuple(fc.constant(pattern), name);
  });

const SETTINGS = { seed: 20_261_215, numRuns: 2_000 };

describe('literalPrefixes: every matched name starts with a prefix', () => {
  test('property: for generated patterns and names, a name the pattern matches starts with one of the prefixes', () => {
    let narrowed = 0;
    let matchedAndNarrowed = 0;
    fc.assert(
      fc.property(patternAndName, ([pattern, name]) => {
        const prefixes = literalPrefixes(pattern);
        if (prefixes === undefined) return true;
        narrowed++;
        // The shape IAM needs: a few non-empty prefixes without IAM's wildcards.
        expect(prefixes.length).toBeGreaterThan(0);
        expect(prefixes.length).toBeLessThanOrEqual(MAX_PREFIXES);
        for (const prefix of prefixes) expect(prefix).toMatch(/^[^*?$]+$/);
        if (!new RepositoryFilter(pattern).matches(name)) return true;
        matchedAndNarrowed++;
        return prefixes.some((prefix) => name.startsWith(prefix));
      }),
      SETTINGS,
    );
    // Enough of the runs exercised the claim: narrowed patterns, and names they match.
    expect(narrowed).toBeGreaterThan(400);
    expect(matchedAndNarrowed).toBeGreaterThan(200);
  });

  test('the property has teeth: a plausible wrong rule (literals after ^ up to a syntax character, quantifiers ignored) fails it', () => {
    const naive = (pattern: string): string[] | undefined => {
      const run = /^\^([a-z0-9_/-]+)/.exec(pattern);
      return run ? [run[1]] : undefined;
    };
    const result = fc.check(
      fc.property(patternAndName, ([pattern, name]) => {
        const prefixes = naive(pattern);
        return prefixes === undefined || !new RepositoryFilter(pattern).matches(name) || prefixes.some((p) => name.startsWith(p));
      }),
      SETTINGS,
    );
    expect(result.failed).toBe(true);
  });
});
