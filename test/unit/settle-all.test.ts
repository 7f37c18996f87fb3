import { settleAll } from '../../src/util/settle-all';

describe('settleAll', () => {
  it('throws the first failure only once every piece of work has finished', async () => {
    const finished: string[] = [];
    const late = new Promise<void>((resolve) => setTimeout(() => {
      finished.push('late');
      resolve();
    }, 30));
    const failing = Promise.reject(new Error('first'));
    const failingLater = new Promise((_, reject) => setTimeout(() => reject(new Error('second')), 10));
    await expect(settleAll([failing, late, failingLater, undefined])).rejects.toThrow('first');
    // Promise.all would have thrown before the late work was done.
    expect(finished).toEqual(['late']);
  });

  it('resolves when every piece succeeds', async () => {
    await expect(settleAll([Promise.resolve(1), undefined, Promise.resolve('two')])).resolves.toBeUndefined();
  });
});
