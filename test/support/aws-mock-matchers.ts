/**
 * aws-sdk-client-mock-vitest's matchers (`toHaveReceivedCommandWith`...), registered and typed. Import
 * this instead of the package's `extend` entry: that one declares `Matchers<R, T>`, which does not merge
 * with vitest 4's `Matchers<T>`, so the matchers ran but did not type-check.
 */
import { allCustomMatcher, type BaseMatcher } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

expect.extend(allCustomMatcher);

declare module 'vitest' {
  // Same type parameters as vitest's own declaration, or the two do not merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends BaseMatcher<T, T> {}
}
