package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Element-wise closeness of two large float arrays in linear time. AssertJ's
 * {@code containsExactly(float[], Offset)} first diffs the arrays as multisets under the offset's
 * comparator, which is quadratic: about a minute on one token row of a 150k vocabulary. This check
 * fails in every case that one does (a length or any element out of tolerance at its index) and
 * names the first index that differs.
 */
public final class CloseFloats {
  private CloseFloats() {}

  /** Asserts {@code got.length == want.length} and {@code |got[i] - want[i]| <= tol} for every i (NaN fails). */
  public static void assertClose(String what, float[] got, float[] want, float tol) {
    assertThat(got).as("%s: length", what).hasSameSizeAs(want);
    for (int i = 0; i < want.length; i++) {
      // negated so that a NaN on either side fails
      if (!(Math.abs(got[i] - want[i]) <= tol)) {
        fail("%s: element %d of %d is %s, expected %s (tolerance %s)", what, i, want.length, got[i], want[i], tol);
      }
    }
  }
}
