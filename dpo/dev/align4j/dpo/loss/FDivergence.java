package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * f-DPO (Wang et al. 2023, "Beyond Reverse KL", Thm. 1): the divergence regularising the policy
 * changes the implicit reward from {@code u = log pi/pi_ref} to {@code f'(pi/pi_ref)}. TRL 1.13's
 * {@code f_divergence_type}; {@link #score} is the per-sequence score whose chosen-minus-rejected
 * gap the losses use.
 */
public enum FDivergence {
  /** f'(t) = log t: standard DPO. */
  REVERSE_KL("reverse_kl"),
  /** f'(t) = 1 - 1/t: {@code 1 - e^-u}. */
  FORWARD_KL("forward_kl"),
  /** f'(t) = log(2t/(1+t)): {@code log 2 + logsig(u)}. */
  JS_DIVERGENCE("js_divergence"),
  /**
   * f'(t) = (t^(a-1) - 1)/(a-1): {@code (e^((a-1)u) - 1)/(a-1)}; the exponent is clamped at 80 (11
   * in float16) as TRL does; {@code |a - 1| < 1e-6} falls back to reverse KL.
   */
  ALPHA_DIVERGENCE("alpha_divergence");

  private final String id;

  FDivergence(String id) {
    this.id = id;
  }

  /** TRL's name. */
  public String id() {
    return id;
  }

  /** Parses TRL's name, case-insensitively. */
  public static FDivergence fromId(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (FDivergence f : values()) {
      if (f.id.equals(n)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown f_divergence_type '" + name + "'; expected one of "
        + Arrays.stream(values()).map(FDivergence::id).collect(Collectors.joining(", ")));
  }

  /**
   * The score {@code f'(e^u)} of log-ratios {@code u} ([B]); {@code alpha} is {@code
   * f_alpha_divergence_coef}, used only by {@link #ALPHA_DIVERGENCE}.
   */
  public NDArray score(NDArray u, double alpha) {
    switch (this) {
      case REVERSE_KL:
        return u;
      case FORWARD_KL:
        return LossMath.scalar(u, 1.0).sub(u.neg().exp());
      case JS_DIVERGENCE:
        return LossMath.logSigmoid(u).add(LossMath.scalar(u, Math.log(2)));
      case ALPHA_DIVERGENCE:
        if (Math.abs(alpha - 1.0) < 1e-6) {
          return u;
        }
        // TRL clamps (a-1)u at 80 (11 for float16) so that exp stays finite in the input's dtype
        NDArray t = u.mul(LossMath.scalar(u, alpha - 1.0));
        t = t.minimum(LossMath.scalar(t, u.getDataType() == DataType.FLOAT16 ? 11.0 : 80.0));
        return t.exp().sub(LossMath.scalar(t, 1.0)).mul(LossMath.scalar(t, 1.0 / (alpha - 1.0)));
      default:
        throw new IllegalStateException(id);
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
