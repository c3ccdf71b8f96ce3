import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The npm package is an allowlist (package.json `files`, written by .projenrc.ts): it holds the
// compiled library without the handler and command-line sources (they ship bundled in assets/),
// the bundles, the assembly and its README translations, the docs, and nothing else. This packs
// it as `npm publish` and jsii-pacmak would and compares the list, file by file. It needs the
// build's outputs (`npx projen build` runs it after compile and post-compile).

const ROOT = path.join(__dirname, '..');

/** The files `npm pack` puts in the tarball of the package in `dir`, sorted. */
function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [result] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return result.files.map((f) => f.path).sort();
}

/** Every file under `dir` (relative to ROOT, with forward slashes), recursively. */
function filesUnder(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(relative) : [relative];
  });
}

/**
 * Source modules whose compiled copies stay out of the package: the handler entries, the
 * logger they share, the SDK adapters and the command-line tool import packages that consumers
 * do not install, and ship bundled in assets/ instead.
 */
function isBundledOnly(module: string): boolean {
  return /^lambda\/[^/]+\.lambda$/.test(module) || module === 'lambda/logger' || /^(aws|cli)\//.test(module);
}

/** lib/: the .js and .d.ts that jsii compiles from each module of src/, less the bundled-only ones. */
function expectedLib(): string[] {
  return filesUnder('src')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice('src/'.length, -'.ts'.length))
    .filter((module) => !isBundledOnly(module))
    .flatMap((module) => [`lib/${module}.js`, `lib/${module}.d.ts`]);
}

/** assets/: one index.js per bundle of projen's `bundle` task (`bundle:lambda/rescan.lambda` makes assets/lambda/rescan.lambda/). */
function expectedAssets(): string[] {
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen/tasks.json'), 'utf8')).tasks;
  const bundles = (tasks.bundle.steps as Array<{ spawn?: string }>).map((s) => s.spawn).filter((s): s is string => s?.startsWith('bundle:') ?? false);
  return bundles.map((b) => `assets/${b.slice('bundle:'.length)}/index.js`);
}

/**
 * docs/: the chapters the README links, and those they link, followed from README.md. A page
 * in docs/ that nothing links is a draft or a stray, and must not ship.
 */
function expectedDocs(): string[] {
  const found = new Set<string>();
  const visit = (file: string) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)) {
      const linked = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      if (/^docs\/[^/]+\.md$/.test(linked) && !found.has(linked) && fs.existsSync(path.join(ROOT, linked))) {
        found.add(linked);
        visit(linked);
      }
    }
  };
  visit('README.md');
  return [...found];
}

/** Files that are no build output: npm adds package.json, README.md and LICENSE by itself. */
const FIXED = ['package.json', 'README.md', 'LICENSE', 'API.md', 'bin/ecr-scan-reporter'];
/** What the build writes outside lib/ and assets/: the assembly (compile) and rosetta's tablet (post-compile). */
const ASSEMBLY = ['.jsii', '.jsii.tabl.json'];

describe('the npm package', () => {
  test('the build outputs it packs exist (run `npx projen compile && npx projen post-compile`, part of `npx projen build`)', () => {
    const missing = [...expectedLib(), ...expectedAssets(), ...ASSEMBLY].filter((f) => !fs.existsSync(path.join(ROOT, f)));
    expect({ missing }).toEqual({ missing: [] });
  });

  test('holds exactly the compiled library, the bundles, the assembly, the docs and the command\'s shim', () => {
    const expected = [...expectedLib(), ...expectedAssets(), ...ASSEMBLY, ...FIXED, ...expectedDocs()].sort();
    const packed = packedFiles(ROOT);
    // Two lists, so a failure names each file: an unexpected one is a stray or stale file that
    // would ship (remove it, or `rm -rf lib && npx projen compile` for stale lib/ output, or link
    // a new page of docs/ from the README); a missing one was not built or was left out of
    // `files` in .projenrc.ts.
    expect({
      unexpected: packed.filter((f) => !expected.includes(f)),
      missing: expected.filter((f) => !packed.includes(f)),
    }).toEqual({ unexpected: [], missing: [] });
  });

  test('the expected list covers what this package is made of', () => {
    // Guards the derivation above: if src/ or the bundle task could not be read, the exact
    // comparison would compare two short lists.
    expect(expectedLib()).toEqual(expect.arrayContaining(['lib/index.js', 'lib/index.d.ts', 'lib/constructs/ecr-scan-reporter.js', 'lib/lambda/rescan-function.js']));
    expect(expectedLib().filter((f) => /^lib\/(aws|cli)\/|\.lambda\.|\/logger\./.test(f))).toEqual([]);
    expect(expectedAssets()).toEqual(expect.arrayContaining(['assets/lambda/rescan.lambda/index.js', 'assets/cli/ecr-scan-reporter/index.js']));
    expect(expectedDocs()).toEqual(expect.arrayContaining(['docs/ledger.md']));
  });

  test('a stray file in the clone is not packed: package.json\'s allowlist decides, in a copy with stray files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecr-scan-reporter-pack-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      const write = (file: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), `${file}\n`);
      };
      const shipped = [
        'package.json',
        'README.md',
        'LICENSE',
        'API.md',
        'docs/ledger.md',
        'bin/ecr-scan-reporter',
        '.jsii',
        '.jsii.tabl.json',
        'lib/index.js',
        'lib/index.d.ts',
        'lib/lambda/metric-names.js',
        'assets/lambda/rescan.lambda/index.js',
        'assets/cli/ecr-scan-reporter/index.js',
      ];
      const strays = [
        'stray-untracked-notes.txt',
        '.env',
        'credentials.json',
        'scratch/plan.md',
        'docs/drafts/next.md',
        'docs/diagram.drawio',
        'src/index.ts',
        'test/package.test.ts',
        'cdk.out/manifest.json',
        'lib/index.js.map',
        'lib/aws/clients.js',
        'lib/cli/run.js',
        'lib/lambda/rescan.lambda.js',
        'lib/lambda/logger.js',
        'assets/lambda/rescan.lambda/stray.txt',
        'dist/js/cdk-ecr-scan-reporter-0.0.0.tgz',
      ];
      for (const file of [...shipped, ...strays]) if (file !== 'package.json') write(file);
      expect(packedFiles(dir)).toEqual([...shipped].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Construct Hub readiness', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    keywords: string[];
    description: string;
    stability?: string;
    peerDependencies: Record<string, string>;
  };

  test('the keywords Construct Hub and npm search read, a one-line description, a stability, the CDK peer dependency', () => {
    expect(manifest.keywords).toEqual(expect.arrayContaining(['cdk', 'awscdk', 'aws-cdk', 'ecr', 'security', 'vulnerability']));
    expect(manifest.description).not.toContain('\n');
    expect(manifest.description.length).toBeLessThanOrEqual(160);
    expect(manifest.stability).toBe('experimental');
    expect(Object.keys(manifest.peerDependencies)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
  });

  test('the README shows a badge per registry and says how to install in each language it ships', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const badge of ['img.shields.io/npm/v/cdk-ecr-scan-reporter', 'img.shields.io/pypi/v/cdk-ecr-scan-reporter', 'img.shields.io/maven-central/v/io.github.cdk-ecr-scan-reporter', 'constructs.dev/badge?package=cdk-ecr-scan-reporter']) {
      expect(readme).toContain(badge);
    }
    expect(readme).toContain('npm install cdk-ecr-scan-reporter');
    expect(readme).toContain('pip install cdk-ecr-scan-reporter');
    expect(readme).toContain('io.github.cdk-ecr-scan-reporter:cdk-ecr-scan-reporter');
  });
});
