package dev.align4j.peft.train;

/**
 * Float64 reference of {@code torch.optim.AdamW} (single-tensor path, amsgrad off, maximize off), the
 * golden for the native optimizer. Per step t (counted from 1):
 * {@code p *= 1 - lr*wd} (decoupled decay, before the moments), {@code m = lerp(m, g, 1-b1)},
 * {@code v = b2 v + (1-b2) g^2}, {@code p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}.
 * Not thread-safe; one instance per parameter tensor.
 */
public final class AdamWReference {
  private final double[] m;
  private final double[] v;
  private long step;

  /** State for a parameter of {@code size} elements (moments start at zero, step at 0). */
  public AdamWReference(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("AdamWReference: size must be >= 0, got " + size);
    }
    this.m = new double[size];
    this.v = new double[size];
  }

  /** Applies one update in place to {@code param} with gradient {@code grad}, using {@code cfg.lr()}. */
  public void step(double[] param, double[] grad, AdamWConfig cfg) {
    if (param.length != m.length || grad.length != m.length) {
      throw new IllegalArgumentException("AdamWReference.step: expected " + m.length
          + " elements, got param " + param.length + " and grad " + grad.length);
    }
    step++;
    double lr = cfg.lr();
    double decay = 1.0 - lr * cfg.weightDecay();
    double bc1 = 1.0 - Math.pow(cfg.beta1(), step);
    double bc2Sqrt = Math.sqrt(1.0 - Math.pow(cfg.beta2(), step));
    double stepSize = lr / bc1;
    for (int i = 0; i < param.length; i++) {
      param[i] *= decay;
      double g = grad[i];
      m[i] += (1.0 - cfg.beta1()) * (g - m[i]); // torch: exp_avg.lerp_(grad, 1 - beta1)
      v[i] = cfg.beta2() * v[i] + (1.0 - cfg.beta2()) * g * g;
      double denom = Math.sqrt(v[i]) / bc2Sqrt + cfg.eps();
      param[i] -= stepSize * m[i] / denom;
    }
  }

  /** Steps taken so far. */
  public long steps() {
    return step;
  }

  /** Copy of the first moment. */
  public double[] firstMoment() {
    return m.clone();
  }

  /** Copy of the second moment. */
  public double[] secondMoment() {
    return v.clone();
  }
}
