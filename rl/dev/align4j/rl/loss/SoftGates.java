package dev.align4j.rl.loss;

/**
 * The parameters of the GRPO loss types that replace the hard clip by a smooth weight: SAPO's gate
 * temperatures and VESPO's gamma weight ({@code GRPOConfig}'s {@code sapo_*} and {@code vespo_*}).
 *
 * @param sapoTemperaturePos SAPO's temperature where the advantage is positive (TRL 1.0)
 * @param sapoTemperatureNeg SAPO's temperature elsewhere (TRL 1.05)
 * @param vespoKPos VESPO's power {@code k} where the advantage is {@code >= 0} (TRL 2.0)
 * @param vespoLambdaPos VESPO's decay {@code lambda} where the advantage is {@code >= 0} (TRL 3.0)
 * @param vespoKNeg VESPO's {@code k} where the advantage is negative (TRL 3.0)
 * @param vespoLambdaNeg VESPO's {@code lambda} where the advantage is negative (TRL 2.0)
 */
public record SoftGates(double sapoTemperaturePos, double sapoTemperatureNeg, double vespoKPos, double vespoLambdaPos,
    double vespoKNeg, double vespoLambdaNeg) {
  /** TRL 1.13's defaults. */
  public static final SoftGates TRL_DEFAULT = new SoftGates(1.0, 1.05, 2.0, 3.0, 3.0, 2.0);

  /** Validates. */
  public SoftGates {
    if (!(sapoTemperaturePos > 0) || !(sapoTemperatureNeg > 0) || Double.isInfinite(sapoTemperaturePos)
        || Double.isInfinite(sapoTemperatureNeg)) {
      throw new IllegalArgumentException("sapo_temperature_pos and sapo_temperature_neg must be finite and > 0, got "
          + sapoTemperaturePos + ", " + sapoTemperatureNeg);
    }
    for (double v : new double[] {vespoKPos, vespoLambdaPos, vespoKNeg, vespoLambdaNeg}) {
      if (!Double.isFinite(v) || v < 0) {
        throw new IllegalArgumentException("vespo_k_pos, vespo_lambda_pos, vespo_k_neg and vespo_lambda_neg must be"
            + " finite and >= 0, got " + vespoKPos + ", " + vespoLambdaPos + ", " + vespoKNeg + ", " + vespoLambdaNeg);
      }
    }
  }
}
