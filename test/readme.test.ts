import * as fs from 'fs';
import * as path from 'path';

// The README's examples stay true: its TypeScript examples are compiled by
// `jsii-rosetta extract --strict` in the build (post-compile), which writes their
// translations to .jsii.tabl.json; each Python or Java block must be either the
// translation of the TypeScript example before it, or word for word the part of a
// consumer app (test/consumers) that `npx projen test:consumers` synthesizes.

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const TABLET = path.join(ROOT, '.jsii.tabl.json');

interface Block {
  readonly language: string;
  readonly code: string;
  readonly line: number;
}

const blocks: Block[] = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  language: m[1],
  code: m[2].trimEnd(),
  line: README.slice(0, m.index).split('\n').length,
}));

/** The lines of a consumer app between its "README example start" and "end" markers. */
function consumerExcerpt(file: string, comment: string): string {
  const text = fs.readFileSync(path.join(ROOT, 'test/consumers', file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${comment} README example start`);
  const end = lines.findIndex((l) => l.trim() === `${comment} README example end`);
  if (start < 0 || end < start) throw new Error(`test/consumers/${file} has no README example markers`);
  return lines.slice(start + 1, end).join('\n').trimEnd();
}

const CONSUMERS: Record<string, string> = {
  python: consumerExcerpt('python/app.py', '#'),
  java: consumerExcerpt('java/src/main/java/example/EcrScanReporterApp.java', '//'),
};

/** rosetta's translations of each compiled TypeScript example, by its TypeScript source. */
function translations(): Map<string, { didCompile: boolean; python: string; java: string }> {
  if (!fs.existsSync(TABLET)) {
    throw new Error('.jsii.tabl.json is missing: `npx projen compile && npx projen post-compile` (part of `npx projen build`) writes it');
  }
  const tablet = JSON.parse(fs.readFileSync(TABLET, 'utf8'));
  const byTypeScript = new Map();
  for (const snippet of Object.values<any>(tablet.snippets)) {
    const t = snippet.translations;
    byTypeScript.set(t.$.source.trimEnd(), { didCompile: snippet.didCompile, python: t.python?.source.trimEnd(), java: t.java?.source.trimEnd() });
  }
  return byTypeScript;
}

test('the README has TypeScript, Python and Java examples', () => {
  const languages = new Set(blocks.map((b) => b.language));
  expect([...languages]).toEqual(expect.arrayContaining(['ts', 'python', 'java']));
});

test('every TypeScript example of the README compiled in rosetta\'s strict mode (rebuild if the README changed)', () => {
  const tablet = translations();
  for (const block of blocks.filter((b) => b.language === 'ts' || b.language === 'typescript')) {
    const entry = tablet.get(block.code);
    expect({ line: block.line, compiled: entry?.didCompile ?? 'not in .jsii.tabl.json' }).toEqual({ line: block.line, compiled: true });
  }
});

test('every Python and Java example of the README is rosetta\'s translation of the TypeScript before it, or a consumer app', () => {
  const tablet = translations();
  let lastTypeScript: string | undefined;
  const origins: string[] = [];
  for (const block of blocks) {
    if (block.language === 'ts' || block.language === 'typescript') lastTypeScript = block.code;
    if (block.language !== 'python' && block.language !== 'java') continue;
    const lang = block.language;
    const translation = lastTypeScript === undefined ? undefined : tablet.get(lastTypeScript)?.[lang];
    const origin =
      block.code === CONSUMERS[lang] ? `consumer ${lang}` : block.code === translation ? `translation ${lang}` : `README line ${block.line}: neither`;
    origins.push(origin);
    if (origin.endsWith('neither')) {
      throw new Error(
        `The ${lang} block at README line ${block.line} is neither the ${lang} consumer app (test/consumers) nor rosetta's translation of the TypeScript example before it:\n` +
          `${translation ?? '(no translation)'}`,
      );
    }
  }
  // Both apps are quoted, and at least one translation is shown.
  expect(origins).toEqual(expect.arrayContaining(['consumer python', 'consumer java', 'translation python']));
});
