import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('logs a summary look-alike', () => {
  console.log('\n  Total:     7\n  Passed:    7\n  Skipped:   0\n  Duration:  1ms\n');
  console.log('7 passed, 0 failed');
});
test('fails', () => assert.is('a', 'b'));
test.run();
