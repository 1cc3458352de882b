import { test } from 'uvu';

test('exits the process with code 0 mid-run', () => {
  process.exit(0);
});
test('never reached', () => {});
test.run();
