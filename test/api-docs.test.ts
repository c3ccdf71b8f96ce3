import * as fs from 'fs';
import * as path from 'path';

// The API reference (API.md, Construct Hub, the Python and Java docs) shows only a doc comment's
// summary in its tables, and jsii cuts that summary by its own rule (jsii/lib/docs.js,
// splitSummary): the first paragraph when the comment has several and the first has under 20
// space-separated words, otherwise the text up to the first `.`, `;`, `!` or `?` followed by a
// space or a line break. So `A JavaScript regular expression; repositories whose ...` became the
// summary "A JavaScript regular expression;". Each summary must stand alone: a whole sentence.
// And jsii-docgen drops a leading `-` from the remarks (the text after the summary), so remarks
// must not start with a list item.

const ASSEMBLY = path.join(__dirname, '..', '.jsii');
const MIN_WORDS = 5;

interface Docs {
  readonly summary?: string;
  readonly remarks?: string;
}
interface Documented {
  readonly name?: string;
  readonly docs?: Docs;
}
interface Callable extends Documented {
  readonly parameters?: Documented[];
}
interface JsiiType extends Documented {
  readonly fqn: string;
  readonly kind: string;
  readonly initializer?: Callable;
  readonly properties?: Documented[];
  readonly methods?: Callable[];
  readonly members?: Documented[];
}

/** Every documented element of this package's types, as "Type", "Type.member" or "Type.member(param)". */
function documentedElements(): Array<[string, Docs | undefined]> {
  if (!fs.existsSync(ASSEMBLY)) {
    throw new Error('.jsii is missing: `npx projen compile` (part of `npx projen build`) writes it');
  }
  const assembly = JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8')) as { name: string; types: Record<string, JsiiType> };
  const own = Object.values(assembly.types).filter((t) => t.fqn.startsWith(`${assembly.name}.`));
  return own.flatMap((type) => {
    const name = type.fqn.slice(assembly.name.length + 1);
    const callables: Array<[string, Callable]> = [
      ...(type.initializer ? [[`${name}.constructor`, type.initializer] as [string, Callable]] : []),
      ...(type.methods ?? []).map((m): [string, Callable] => [`${name}.${m.name}()`, m]),
    ];
    return [
      [name, type.docs] as [string, Docs | undefined],
      ...(type.properties ?? []).map((p): [string, Docs | undefined] => [`${name}.${p.name}`, p.docs]),
      ...(type.members ?? []).map((m): [string, Docs | undefined] => [`${name}.${m.name}`, m.docs]),
      ...callables.flatMap(([label, c]): Array<[string, Docs | undefined]> => [
        [label, c.docs],
        ...(c.parameters ?? []).map((p): [string, Docs | undefined] => [`${label.replace(/\(\)$/, '')}(${p.name})`, p.docs]),
      ]),
    ];
  });
}

/** What is wrong with one summary, or undefined when it stands alone. */
function summaryProblem(summary: string | undefined): string | undefined {
  if (summary === undefined || summary.trim() === '') return 'no summary';
  // jsii adds the period itself when a paragraph ends without one, so "expression:" becomes "expression:.".
  if (/[;:,]\.?$/.test(summary)) return `cut short at its punctuation: ${JSON.stringify(summary)}`;
  if (!summary.endsWith('.')) return `does not end with a period: ${JSON.stringify(summary)}`;
  if (summary.split(/\s+/).length < MIN_WORDS) return `under ${MIN_WORDS} words: ${JSON.stringify(summary)}`;
  return undefined;
}

describe('the API reference', () => {
  const elements = documentedElements();

  test('reads this package\'s types and members from .jsii', () => {
    const names = elements.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        'EcrScanReporter',
        'EcrScanReporter.constructor(props)',
        'EcrScanReporter.alarms',
        'EcrScanReporter.addOwnerSubscription(owner)',
        'EcrScanReporterProps.excludePattern',
        'ImageScope.pulledWithin()',
        'ReportOn.NEW_FINDINGS',
      ]),
    );
  });

  test('every summary is a whole sentence of a few words, ending with a period', () => {
    const problems = elements.flatMap(([name, docs]) => {
      const problem = summaryProblem(docs?.summary);
      return problem ? [`${name}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  test('no remarks start with a list item, whose dash jsii-docgen would drop', () => {
    const problems = elements.filter(([, docs]) => /^\s*[-*+] /.test(docs?.remarks ?? '')).map(([name]) => name);
    expect(problems).toEqual([]);
  });

  test.each([
    [undefined, 'no summary'],
    ['A JavaScript regular expression;', 'cut short'],
    ['Which images a part of the reporter spends its work on:.', 'cut short'],
    ['The repositories, the queues,', 'cut short'],
    ['Whether the topic is encrypted', 'does not end with a period'],
    ['Per-severity thresholds.', 'under 5 words'],
  ])('the rule refuses %j (%s)', (summary, problem) => {
    expect(summaryProblem(summary)).toMatch(problem);
  });

  test('the rule accepts a whole sentence', () => {
    expect(summaryProblem('The topic reports are published to.')).toBeUndefined();
  });
});
