import * as fs from 'fs';
import * as path from 'path';

// The README and docs/ stay true. The README's TypeScript examples are compiled by
// `jsii-rosetta extract --strict` in the build (post-compile), which writes their translations
// to .jsii.tabl.json; rosetta reads only README.md (from the .jsii assembly), so docs/ may hold
// no TypeScript example. Each Python or Java block must be either rosetta's translation of the
// README's TypeScript example before it, or word for word the part of a consumer app
// (test/consumers) that `npx projen test:consumers` synthesizes; in docs/ only the latter.
// Every relative link must name a file that exists and, with an #anchor, a heading there.

const ROOT = path.join(__dirname, '..');
const TABLET = path.join(ROOT, '.jsii.tabl.json');
const README = 'README.md';

/** README.md, then every Markdown file of docs/, as paths relative to the repository. */
const MARKDOWN_FILES = [README, ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

const CHECKED_LANGUAGES: Record<string, 'ts' | 'python' | 'java'> = { ts: 'ts', typescript: 'ts', python: 'python', py: 'python', java: 'java' };

interface Block {
  readonly file: string;
  /** The first word of the fence's info string (`ts` of "```ts fixture=reporter"). */
  readonly language: string;
  readonly code: string;
  readonly line: number;
}

const FENCE = /^```([^\n]*)\n([\s\S]*?)^```$/gm;

/** The fenced code blocks of a Markdown text. */
function codeBlocks(file: string, text: string): Block[] {
  return [...text.matchAll(FENCE)].map((m) => ({
    file,
    language: m[1].trim().split(/\s+/)[0],
    code: m[2].trimEnd(),
    line: text.slice(0, m.index).split('\n').length,
  }));
}

/** The lines of a consumer app between its "README example start" and "end" markers. */
function consumerExcerpt(file: string, comment: string): string {
  const text = fs.readFileSync(path.join(ROOT, 'test/consumers', file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${comment} README example start`);
  const end = lines.findIndex((l) => l.trim() === `${comment} README example end`);
  if (start < 0 || end < start) throw new Error(`test/consumers/${file} has no README example markers`);
  return lines.slice(start + 1, end).join('\n').trimEnd();
}

/** rosetta's translations of each compiled TypeScript example, by its TypeScript source (without its fixture). */
function translations(): Map<string, { didCompile: boolean; python?: string; java?: string }> {
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

/** A Markdown text without its fenced blocks and code spans, whose `#` lines and `[..](..)` are no headings or links. */
function prose(text: string): string {
  return text.replace(FENCE, (block) => block.replace(/[^\n]/g, ' ')).replace(/`[^`\n]*`/g, (span) => span.replace(/[[\]()#]/g, ' '));
}

/**
 * GitHub's anchor for a heading's Markdown text (github-slugger on the rendered text): lower case,
 * every character but letters, marks, digits, `_`, `-` and spaces dropped, spaces made hyphens.
 */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image renders as its text
    .replace(/<[^>]+>/g, '') // inline HTML tags render as nothing
    .replace(/`/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a Markdown text's ATX headings, a repeated one suffixed -1, -2, ... as GitHub does. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  // The headings are read from the raw text (code spans included), fenced blocks blanked out.
  const unfenced = text.replace(FENCE, (block) => block.replace(/[^\n]/g, ' '));
  for (const m of unfenced.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const slug = githubSlug(m[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** The relative links of a Markdown text (http, https and mailto links left out), with their lines. */
function relativeLinks(text: string): { target: string; line: number }[] {
  const visible = prose(text);
  return [...visible.matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)]
    .filter((m) => !/^(https?:|mailto:)/.test(m[1]))
    .map((m) => ({ target: m[1], line: visible.slice(0, m.index).split('\n').length }));
}

/** What is wrong with each relative link of `file` (a path relative to `root`): a missing file or heading. */
function brokenLinks(root: string, file: string, text: string): string[] {
  const problems: string[] = [];
  for (const { target, line } of relativeLinks(text)) {
    const [filePart, anchor] = target.split('#', 2);
    const resolved = filePart === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(filePart));
    const where = `${file}:${line} (${target})`;
    if (path.relative(root, resolved).startsWith('..')) {
      problems.push(`${where}: leaves the repository`);
    } else if (!fs.existsSync(resolved)) {
      problems.push(`${where}: no file ${path.relative(root, resolved)}`);
    } else if (anchor !== undefined) {
      if (!resolved.endsWith('.md')) {
        if (!/^L\d+(-L\d+)?$/.test(anchor)) problems.push(`${where}: #${anchor} in a file that is not Markdown`);
      } else if (!anchors(filePart === '' ? text : fs.readFileSync(resolved, 'utf8')).has(anchor)) {
        problems.push(`${where}: no heading #${anchor} in ${path.relative(root, resolved)}`);
      }
    }
  }
  return problems;
}

const TEXTS = new Map(MARKDOWN_FILES.map((f) => [f, fs.readFileSync(path.join(ROOT, f), 'utf8')]));
const BLOCKS = MARKDOWN_FILES.flatMap((f) => codeBlocks(f, TEXTS.get(f)!));
const CONSUMERS: Record<string, string> = {
  python: consumerExcerpt('python/app.py', '#'),
  java: consumerExcerpt('java/src/main/java/example/EcrScanReporterApp.java', '//'),
};

test('README.md and docs/ have TypeScript, Python and Java examples, and the TypeScript ones are all in README.md', () => {
  const languages = new Set(BLOCKS.map((b) => CHECKED_LANGUAGES[b.language]));
  expect([...languages]).toEqual(expect.arrayContaining(['ts', 'python', 'java']));
  const typeScriptOutsideReadme = BLOCKS.filter((b) => CHECKED_LANGUAGES[b.language] === 'ts' && b.file !== README);
  // rosetta compiles only the README's examples: one in docs/ would go unchecked.
  expect(typeScriptOutsideReadme.map((b) => `${b.file}:${b.line}`)).toEqual([]);
});

test('every TypeScript example of the README compiled in rosetta\'s strict mode (rebuild if the README changed)', () => {
  const tablet = translations();
  const typeScript = BLOCKS.filter((b) => b.file === README && CHECKED_LANGUAGES[b.language] === 'ts');
  expect(typeScript.length).toBeGreaterThan(0);
  for (const block of typeScript) {
    const entry = tablet.get(block.code);
    expect({ line: block.line, compiled: entry?.didCompile ?? 'not in .jsii.tabl.json' }).toEqual({ line: block.line, compiled: true });
  }
});

test('every Python and Java example is rosetta\'s translation of the README\'s TypeScript before it, or a consumer app', () => {
  const tablet = translations();
  const origins: string[] = [];
  for (const file of MARKDOWN_FILES) {
    let lastTypeScript: string | undefined;
    for (const block of BLOCKS.filter((b) => b.file === file)) {
      const lang = CHECKED_LANGUAGES[block.language];
      if (lang === 'ts') lastTypeScript = block.code;
      if (lang !== 'python' && lang !== 'java') continue;
      // Only the README's TypeScript is compiled, so only the README may show translations.
      const translation = file === README && lastTypeScript !== undefined ? tablet.get(lastTypeScript)?.[lang] : undefined;
      const origin = block.code === CONSUMERS[lang] ? `consumer ${lang}` : block.code === translation ? `translation ${lang}` : undefined;
      if (origin === undefined) {
        throw new Error(
          `The ${lang} block at ${file}:${block.line} is neither the ${lang} consumer app (test/consumers)` +
            (file === README ? ` nor rosetta's translation of the TypeScript example before it:\n${translation ?? '(no translation)'}` : ''),
        );
      }
      origins.push(origin);
    }
  }
  // Both apps are quoted, and at least one translation is shown.
  expect(origins).toEqual(expect.arrayContaining(['consumer python', 'consumer java', 'translation python']));
});

test('every relative link of README.md and docs/ names a file that exists, and a heading there', () => {
  const links = MARKDOWN_FILES.flatMap((f) => relativeLinks(TEXTS.get(f)!));
  expect(links.length).toBeGreaterThan(10);
  expect(MARKDOWN_FILES.flatMap((f) => brokenLinks(ROOT, f, TEXTS.get(f)!))).toEqual([]);
});

describe('the Markdown checks themselves', () => {
  test.each([
    ['Reports that say what is new', 'reports-that-say-what-is-new'],
    ['Scopes: which images get scans and reports', 'scopes-which-images-get-scans-and-reports'],
    ['The rescan decision, per image digest', 'the-rescan-decision-per-image-digest'],
    ['Images that run: `reportScope: ImageScope.inUse()` against every image', 'images-that-run-reportscope-imagescopeinuse-against-every-image'],
    ['Two expiries: `NEW_FINDINGS` against `EVERY_SCAN`', 'two-expiries-new_findings-against-every_scan'],
    ['ECR quotas, cost, dead-letter queues, logs', 'ecr-quotas-cost-dead-letter-queues-logs'],
    ['Try it, test it', 'try-it-test-it'],
    ['See [the ledger](ledger.md) ≥ 1', 'see-the-ledger--1'],
  ])('GitHub\'s anchor of "%s" is #%s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  test('a repeated heading gets -1, and neither code blocks nor trailing hashes make headings', () => {
    const text = '# Top\n\n## Usage\n\n```sh\n# not a heading\n```\n\n## Usage ##\n';
    expect([...anchors(text)]).toEqual(['top', 'usage', 'usage-1']);
  });

  test('a missing file, a missing heading and a link out of the repository are each found; code is no link', () => {
    const text = [
      '[ok](#top) [ok too](docs/ledger.md#the-table) [web](https://example.com/#x)',
      '[gone](docs/nothing.md) [no heading](#bottom) [away](../../etc/passwd) `[code](#nowhere)`',
      '# Top',
    ].join('\n');
    expect(brokenLinks(ROOT, README, text)).toEqual([
      'README.md:2 (docs/nothing.md): no file docs/nothing.md',
      'README.md:2 (#bottom): no heading #bottom in README.md',
      'README.md:2 (../../etc/passwd): leaves the repository',
    ]);
  });

  test('a fence with a fixture keeps its language; the block is found with its line', () => {
    expect(codeBlocks('x.md', 'text\n\n```ts fixture=reporter\nnew X();\n```\n')).toEqual([{ file: 'x.md', language: 'ts', code: 'new X();', line: 3 }]);
  });
});
