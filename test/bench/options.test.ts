import { parseArgs } from '../../local/bench/options';

test('defaults: 200 x 50, 1 run, both sides, bundles, 20 import samples', () => {
  expect(parseArgs([])).toMatchObject({
    repositories: 200,
    imagesPerRepository: 50,
    runs: 1,
    seed: 1,
    out: '.bench/results.json',
    skipPython: false,
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
    parseArgs(['--repositories', '7', '--images=9', '--runs', '5', '--seed=3', '--out', 'x.json', '--skip-python', '--skip-bundles',
      '--import-samples', '4', '--python-retry-mode=legacy']),
  ).toEqual({
    repositories: 7,
    imagesPerRepository: 9,
    runs: 5,
    seed: 3,
    out: 'x.json',
    skipPython: true,
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
  [['--large', '--images', '10'], /--large sets the registry shape/],
  [['--python-retry-mode', 'adaptive'], /standard or legacy \(given 'adaptive'\)/],
  [['--frobnicate'], /unknown option '--frobnicate'/],
])('%j fails: %s', (argv, message) => {
  expect(() => parseArgs(argv)).toThrow(message);
});
