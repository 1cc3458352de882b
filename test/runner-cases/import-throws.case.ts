import { test } from 'uvu';

const load = (): void => {
  throw new Error('this suite fails to load');
};
load();
test('never defined', () => {});
test.run();
