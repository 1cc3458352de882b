import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('passes', () => assert.is(1, 1));
test('fails', () => assert.is(1, 2));
test.skip('skipped one', () => {});
test.skip('skipped two', () => {});
test.run();
