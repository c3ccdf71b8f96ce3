/**
 * Bundle budgets: each handler bundle's size and cold import time, against baselines built on
 * the spot with the very esbuild command projen uses for the handlers (read from
 * .projen/tasks.json), so the difference is what this library's own code adds.
 *
 * - "SDK only": a bundle that imports the same AWS SDK names the handler's sources import
 *   (from the same @aws-sdk and @smithy packages, kept only where the handler bundle really
 *   contains that package) and creates one client of each imported client class at module
 *   scope, as a hand-written handler would. This is the issue's baseline.
 * - "SDK + Powertools": the same plus the Powertools names the handler's sources import, so
 *   the share of Powertools and the share of this library's code can be told apart.
 *
 * Cold import: `require()` of the bundle in a fresh `node` process, timed inside that process
 * (Node's own start is not counted), 20 processes per bundle, interleaved so that background
 * load hits every bundle alike; the median is reported.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { median } from './measure';

export const HANDLERS = ['dispatch', 'rescan', 'report'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export interface ImportTiming {
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
}

export interface BundleBudget {
  readonly handler: HandlerName;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes of the bundle that come from src/ (esbuild's metafile). */
  readonly ownCodeBytes: number;
  /** Packages of the bundle by bytes, largest first (the top ten). */
  readonly largestPackages: readonly { readonly name: string; readonly bytes: number }[];
  /** What the baselines import, by package. */
  readonly sdkImports: Record<string, string[]>;
  readonly powertoolsImports: Record<string, string[]>;
  readonly coldImport: ImportTiming;
  readonly sdkBaseline: { readonly bytes: number; readonly coldImport: ImportTiming };
  readonly sdkPowertoolsBaseline: { readonly bytes: number; readonly coldImport: ImportTiming };
  /** coldImport / sdkBaseline - 1: what the handler's own code and Powertools add. */
  readonly addedOverSdk: number;
  /** coldImport / sdkPowertoolsBaseline - 1: what the handler's own code adds. */
  readonly addedOverSdkPowertools: number;
}

/** The esbuild arguments projen uses for a handler, without the entry point and the output file. */
export function projenBundleArgs(tasks: any, handler: HandlerName): { entry: string; outfile: string; options: string[] } {
  const task = tasks.tasks?.[`bundle:lambda/${handler}.lambda`];
  const args: string[] | undefined = task?.steps?.[0]?.execArgs;
  if (!args || args[0] !== 'esbuild') throw new Error(`.projen/tasks.json has no esbuild step for bundle:lambda/${handler}.lambda`);
  const rest = args.slice(1);
  const entry = rest.find((a) => !a.startsWith('--'));
  const outfile = rest.find((a) => a.startsWith('--outfile='));
  if (!entry || !outfile) throw new Error(`cannot read the entry and outfile of bundle:lambda/${handler}.lambda: ${args.join(' ')}`);
  return { entry, outfile: outfile.slice('--outfile='.length), options: rest.filter((a) => a !== entry && a !== outfile) };
}

/** The package a bundled input belongs to, or undefined for the project's own files. */
export function packageOf(input: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1];
}

/**
 * Value imports (`import { A, B } from 'pkg'`) of a TypeScript source from the given package
 * scopes; `import type` and `type X` members are left out, as esbuild drops them.
 */
export function valueImports(source: string, scopes: readonly string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const pattern = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) {
    if (match[1]) continue;
    const specifier = match[3];
    if (!scopes.some((s) => specifier.startsWith(s))) continue;
    const names = match[2]
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '' && !n.startsWith('type '))
      .map((n) => n.split(/\s+as\s+/)[0].trim());
    if (names.length > 0) found[specifier] = [...new Set([...(found[specifier] ?? []), ...names])].sort();
  }
  return found;
}

/** The entry of a baseline bundle: the imports re-exported (so esbuild keeps them) and one client per client class. */
export function baselineSource(imports: Record<string, string[]>): string {
  const lines: string[] = [];
  const clients: string[] = [];
  const documentClients: string[] = [];
  let dynamodbClient: string | undefined;
  Object.entries(imports).forEach(([specifier, names], i) => {
    lines.push(`import { ${names.map((n) => `${n} as m${i}_${n}`).join(', ')} } from '${specifier}';`);
    lines.push(`export { ${names.map((n) => `m${i}_${n} as ${n}_${i}`).join(', ')} };`);
    for (const name of names) {
      if (name === 'DynamoDBClient') dynamodbClient = `m${i}_${name}`;
      // A document client wraps a DynamoDB client (`from`); its constructor takes one, not a configuration.
      if (name === 'DynamoDBDocumentClient') documentClients.push(`m${i}_${name}`);
      else if (/^[A-Z][A-Za-z0-9]*Client$/.test(name)) clients.push(`new m${i}_${name}({})`);
    }
  });
  if (dynamodbClient) for (const documentClient of documentClients) clients.push(`${documentClient}.from(new ${dynamodbClient}({}))`);
  lines.push(`export const clients = [${clients.join(', ')}];`);
  return lines.join('\n') + '\n';
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

interface BuiltBundle {
  readonly file: string;
  readonly bytes: number;
  readonly meta: any;
}

function esbuild(repoRoot: string, entry: string, outfile: string, options: string[]): BuiltBundle {
  const metafile = `${outfile}.meta.json`;
  run(join(repoRoot, 'node_modules', '.bin', 'esbuild'), [entry, ...options, `--outfile=${outfile}`, `--metafile=${metafile}`, '--log-level=warning'], repoRoot);
  return { file: outfile, bytes: statSync(outfile).size, meta: JSON.parse(readFileSync(metafile, 'utf8')) };
}

/** Milliseconds that `require(file)` takes in a fresh node process. */
function coldImportMs(file: string, env: NodeJS.ProcessEnv): number {
  const script =
    "const { performance } = require('perf_hooks'); const t = performance.now(); require(process.argv[1]); " +
    'process.stdout.write(String(performance.now() - t)); process.exit(0);';
  const result = spawnSync(process.execPath, ['-e', script, file], { env, encoding: 'utf8' });
  const ms = Number(result.stdout);
  if (result.status !== 0 || !Number.isFinite(ms)) throw new Error(`cold import of ${file} failed (${result.status}):\n${result.stderr}`);
  return ms;
}

/** The environment Lambda gives a Node.js function, enough for the handlers to load. */
function lambdaEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'ecr-scan-reporter',
    POWERTOOLS_METRICS_NAMESPACE: 'EcrScanReporter',
  };
}

export interface BundleOptions {
  readonly repoRoot: string;
  /** Where baselines and metafiles are written. */
  readonly workDir: string;
  readonly samples?: number;
  readonly onProgress?: (message: string) => void;
}

export function measureBundles(options: BundleOptions): BundleBudget[] {
  const { repoRoot, workDir } = options;
  const samples = options.samples ?? 20;
  mkdirSync(workDir, { recursive: true });
  const tasks = JSON.parse(readFileSync(join(repoRoot, '.projen', 'tasks.json'), 'utf8'));
  const prepared = HANDLERS.map((handler) => {
    const { entry, outfile, options: esbuildOptions } = projenBundleArgs(tasks, handler);
    const asset = join(repoRoot, outfile);
    // Rebuilt with projen's exact command plus a metafile; it must be the deployed asset, byte for byte.
    const rebuilt = esbuild(repoRoot, entry, join(workDir, `${handler}.js`), esbuildOptions);
    if (!readFileSync(rebuilt.file).equals(readFileSync(asset))) {
      throw new Error(`${outfile} differs from a fresh build of ${entry}: run \`npx projen bundle\` first`);
    }
    const inputs: Record<string, { bytesInOutput: number }> = Object.values(rebuilt.meta.outputs as Record<string, any>)[0].inputs;
    const byPackage = new Map<string, number>();
    let ownCodeBytes = 0;
    for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
      const pkg = packageOf(input);
      if (pkg) byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
      else if (input.startsWith('src/')) ownCodeBytes += bytesInOutput;
    }
    const sdkImports: Record<string, string[]> = {};
    const powertoolsImports: Record<string, string[]> = {};
    for (const input of Object.keys(rebuilt.meta.inputs as Record<string, unknown>)) {
      if (!input.startsWith('src/') || !input.endsWith('.ts')) continue;
      const source = readFileSync(join(repoRoot, input), 'utf8');
      for (const [specifier, names] of Object.entries(valueImports(source, ['@aws-sdk/', '@smithy/', '@aws-lambda-powertools/']))) {
        // Only what the bundle really contains: a client imported by a shared module but tree-shaken away is not in it.
        if (!byPackage.has(packageOf(`node_modules/${specifier}`) as string)) continue;
        // Types imported without `import type` are no runtime export: leave them out.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const runtime = require(require.resolve(specifier, { paths: [repoRoot] }));
        const values = names.filter((n) => runtime[n] !== undefined);
        const target = specifier.startsWith('@aws-lambda-powertools/') ? powertoolsImports : sdkImports;
        target[specifier] = [...new Set([...(target[specifier] ?? []), ...values])].sort();
      }
    }
    const baseline = (kind: string, imports: Record<string, string[]>) => {
      const entryFile = join(workDir, `${handler}-${kind}-baseline.ts`);
      writeFileSync(entryFile, baselineSource(imports));
      return esbuild(repoRoot, entryFile, join(workDir, `${handler}-${kind}-baseline.js`), esbuildOptions);
    };
    const sdk = baseline('sdk', sdkImports);
    const sdkPowertools = baseline('sdk-powertools', { ...sdkImports, ...powertoolsImports });
    const largestPackages = [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, bytes]) => ({ name, bytes }));
    return { handler, asset, ownCodeBytes, largestPackages, sdkImports, powertoolsImports, sdk, sdkPowertools };
  });

  const env = lambdaEnvironment();
  const timings = new Map<string, number[]>();
  const files = prepared.flatMap((p) => [p.asset, p.sdk.file, p.sdkPowertools.file]);
  for (const file of files) coldImportMs(file, env); // warm the OS file cache once, unmeasured
  for (let i = 0; i < samples; i++) {
    options.onProgress?.(`cold imports: round ${i + 1} of ${samples}`);
    for (const file of files) timings.set(file, [...(timings.get(file) ?? []), coldImportMs(file, env)]);
  }
  const timing = (file: string): ImportTiming => {
    const samplesMs = timings.get(file) ?? [];
    return { medianMs: median(samplesMs), samplesMs };
  };
  return prepared.map((p) => {
    const bytes = readFileSync(p.asset);
    const coldImport = timing(p.asset);
    const sdkBaseline = { bytes: p.sdk.bytes, coldImport: timing(p.sdk.file) };
    const sdkPowertoolsBaseline = { bytes: p.sdkPowertools.bytes, coldImport: timing(p.sdkPowertools.file) };
    return {
      handler: p.handler,
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      ownCodeBytes: p.ownCodeBytes,
      largestPackages: p.largestPackages,
      sdkImports: p.sdkImports,
      powertoolsImports: p.powertoolsImports,
      coldImport,
      sdkBaseline,
      sdkPowertoolsBaseline,
      addedOverSdk: coldImport.medianMs / sdkBaseline.coldImport.medianMs - 1,
      addedOverSdkPowertools: coldImport.medianMs / sdkPowertoolsBaseline.coldImport.medianMs - 1,
    };
  });
}
