/**
 * TypeORM's MySQL runner calls `connection.promise()` for every statement, and mysql2 answers each call with a
 * `require()` of its promise wrapper's module and a new wrapper. Node resolved that path again on every call here:
 * about 50 µs a statement, a fortieth of a nested portal page's CPU on MariaDB. The wrapper holds nothing of a call
 * (its query() makes a promise of its own each time), so each pooled connection keeps the one it was first given.
 */
import * as mysql2 from 'mysql2';
import { PoolConnection as PromisePoolConnection } from 'mysql2/promise';

type Promising = { promise(promiseImpl?: PromiseConstructor): unknown };

let installed = false;

export function reusePromiseWrappers(): void {
  if (installed) return;
  installed = true;
  const prototype = (mysql2 as unknown as { PoolConnection: { prototype: Promising } }).PoolConnection.prototype;
  const made = prototype.promise;
  const wrappers = new WeakMap<object, unknown>();
  prototype.promise = function (this: object, promiseImpl?: PromiseConstructor) {
    // A caller that brings its own Promise gets a wrapper of its own, as before.
    if (promiseImpl !== undefined) return made.call(this, promiseImpl);
    let wrapper = wrappers.get(this);
    if (wrapper === undefined) {
      wrapper = made.call(this);
      if (!(wrapper instanceof PromisePoolConnection)) return wrapper;
      wrappers.set(this, wrapper);
    }
    return wrapper;
  };
}
