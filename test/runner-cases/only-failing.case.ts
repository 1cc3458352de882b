import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('not run', () => assert.ok(true));
test.only('the only one, failing', () => assert.is(1, 2));
test.run();
