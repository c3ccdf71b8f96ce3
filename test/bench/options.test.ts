import { USAGE, parseArgs } from '../../local/bench/options';

test('defaults: 200 x 50, 7 days, 1 run, all four sides, bundles, 20 import samples', () => {
  expect(parseArgs([])).toMatchObject({
    repositories: 200,
    imagesPerRepository: 50,
    runs: 1,
    days: 7,
    seed: 1,
    out: '.bench/results.json',
    skipPython: false,
    skipEveryScan: false,
    skipInUse: false,
    skipBundles: false,
    importSamples: 20,
    pythonRetryMode: undefined,
    preset: 'default',
    help: false,
  });
});

test('--large is 100 x 1,000 images, 1 run unless --runs says otherwise', () => {
  expect(parseArgs(['--large'])).toMatchObject({ repositories: 100, imagesPerRepository: 1000, runs: 1, preset: 'large' });
  expect(parseArgs(['--large', '--runs', '2']).runs).toBe(2);
});

test('every option, with a space or an equals sign', () => {
  expect(
    parseArgs(['--repositories', '7', '--images=9', '--runs', '5', '--days', '3', '--seed=3', '--out', 'x.json', '--skip-python',
      '--skip-every-scan', '--skip-in-use', '--skip-bundles', '--import-samples', '4', '--python-retry-mode=legacy']),
  ).toEqual({
    repositories: 7,
    imagesPerRepository: 9,
    runs: 5,
    days: 3,
    seed: 3,
    out: 'x.json',
    skipPython: true,
    skipEveryScan: true,
    skipInUse: true,
    skipBundles: true,
    importSamples: 4,
    pythonRetryMode: 'legacy',
    preset: 'custom',
    help: false,
  });
});

test.each([
  [['--repositories', '0'], /--repositories needs a whole number of at least 1 \(given '0'\)/],
  [['--images'], /--images needs a whole number of at least 1 \(given nothing\)/],
  [['--runs', '1.5'], /--runs needs a whole number/],
  [['--days', '0'], /--days needs a whole number of at least 1 \(given '0'\)/],
  [['--days=-2'], /--days needs a whole number of at least 1 \(given '-2'\)/],
  [['--large', '--images', '10'], /--large sets the registry shape/],
  [['--python-retry-mode', 'adaptive'], /standard or legacy \(given 'adaptive'\)/],
  [['--frobnicate'], /unknown option '--frobnicate'/],
])('%j fails: %s', (argv, message) => {
  expect(() => parseArgs(argv)).toThrow(message);
});

test('--help and USAGE name every option', () => {
  expect(parseArgs(['--help']).help).toBe(true);
  for (const flag of ['--days N', '--repositories N', '--images M', '--large', '--runs K', '--seed S', '--out FILE', '--skip-python',
    '--skip-every-scan', '--skip-in-use', '--skip-bundles', '--import-samples N', '--python-retry-mode M', '--help']) {
    expect(USAGE).toContain(`  ${flag}`);
  }
  expect(USAGE).toMatch(/default 7\)/);
});
