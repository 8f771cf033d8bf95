package dev.align4j.peft.train;

/**
 * AdamW hyper-parameters. {@link #defaults()} are transformers' TrainingArguments defaults (lr 5e-5,
 * betas 0.9/0.999, eps 1e-8, weight decay 0.0), not torch.optim.AdamW's (lr 1e-3, weight decay 1e-2).
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
  public AdamWConfig {
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("AdamWConfig.lr must be finite and >= 0, got " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("AdamWConfig.beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("AdamWConfig.beta2 must be in [0, 1), got " + beta2);
    }
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("AdamWConfig.eps must be finite and >= 0, got " + eps);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("AdamWConfig.weightDecay must be finite and >= 0, got " + weightDecay);
    }
  }

  /** transformers TrainingArguments defaults. */
  public static AdamWConfig defaults() {
    return new AdamWConfig(5e-5, 0.9, 0.999, 1e-8, 0.0);
  }

  /** A copy with another learning rate (what a schedule sets each step). */
  public AdamWConfig withLr(double newLr) {
    return new AdamWConfig(newLr, beta1, beta2, eps, weightDecay);
  }
}
