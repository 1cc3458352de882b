import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('hidden by only', () => assert.is(1, 2));
test.only('the only one, passing', () => assert.ok(true));
test.run();
