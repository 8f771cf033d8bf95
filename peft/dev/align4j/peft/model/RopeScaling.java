package dev.align4j.peft.model;

/**
 * The {@code rope_scaling} entry of {@code config.json}. Only Llama 3's frequency-dependent scaling
 * is supported, as transformers' {@code _compute_llama3_parameters} defines it; {@code null} in
 * {@link ModelConfig} means plain RoPE.
 *
 * @param factor how much the context was extended (8 for Llama 3.1)
 * @param lowFreqFactor wavelengths above {@code original/lowFreqFactor} are divided by {@code factor}
 * @param highFreqFactor wavelengths below {@code original/highFreqFactor} are kept
 * @param originalMaxPositionEmbeddings the pre-training context length (8192 for Llama 3.1)
 */
public record RopeScaling(
    double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

  /** Validates the parameters. */
  public RopeScaling {
    if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
      throw new IllegalArgumentException(
          "rope_scaling: need factor > 0 and high_freq_factor > low_freq_factor > 0, got factor="
              + factor + " low=" + lowFreqFactor + " high=" + highFreqFactor);
    }
    if (originalMaxPositionEmbeddings <= 0) {
      throw new IllegalArgumentException(
          "rope_scaling: original_max_position_embeddings must be > 0");
    }
  }

  /**
   * Rescales RoPE inverse frequencies in place: long wavelengths are slowed by {@code factor},
   * short ones kept, and the band between is interpolated smoothly (Llama 3 report, section 3.3 of
   * the 3.1 release; transformers' {@code _compute_llama3_parameters}).
   */
  public void apply(float[] invFreq) {
    double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
    double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
    for (int i = 0; i < invFreq.length; i++) {
      double f = invFreq[i];
      double wavelen = 2 * Math.PI / f;
      if (wavelen > lowFreqWavelen) {
        f = f / factor;
      } else if (wavelen >= highFreqWavelen) {
        double smooth =
            (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                / (highFreqFactor - lowFreqFactor);
        f = (1 - smooth) * f / factor + smooth * f;
      }
      invFreq[i] = (float) f;
    }
  }
}
