import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter } from '../../src';

/**
 * One snapshot of the whole template with default props, so any change to the
 * infrastructure shows up in review. The test task never updates snapshots:
 * run `npx jest -u test/constructs/snapshot.test.ts` on purpose and commit the diff.
 *
 * Lambda asset hashes are masked: they change with every handler edit, and the
 * handlers' behaviour is covered by their own tests.
 */
test('the default template matches the reviewed snapshot', () => {
  const stack = new Stack(new App(), 'Snapshot');
  new EcrScanReporter(stack, 'ScanReporter');
  const json = JSON.stringify(Template.fromStack(stack).toJSON(), null, 2).replace(/[0-9a-f]{64}\.zip/g, '<asset-hash>.zip');
  expect(JSON.parse(json)).toMatchSnapshot();
});
